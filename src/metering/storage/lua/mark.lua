-- Record a delivery attempt: delivered (drop from pending) or failed (due again at req.retry_at).
json_request()
local raw = redis.call('HGET', O, req.id)
if not raw then return 0 end
local n = cjson.decode(raw)
n.attempts = n.attempts + 1
if req.delivered then
  n.delivered = now
  redis.call('ZREM', Q, req.id)
else
  n.error = req.error
  redis.call('ZADD', Q, num(req.retry_at), req.id)
end
redis.call('HSET', O, req.id, cjson.encode(n))
return 1
