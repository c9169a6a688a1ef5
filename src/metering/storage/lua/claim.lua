-- Claim due outbox entries of one tenant for delivery, locking them until req.until.
json_request()
local ids = redis.call('ZRANGEBYSCORE', Q, '-inf', num(now), 'LIMIT', 0, req.limit)
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', Q, num(req['until']), id)
  table.insert(out, redis.call('HGET', O, id))
end
return out
