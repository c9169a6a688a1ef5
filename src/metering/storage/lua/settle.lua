-- Settle a write reservation and refund the unused part (engine.settle).
json_request()
local raw = redis.call('HGET', R, req.key)
if not raw then return cjson.encode({error = 'not_found'}) end
local r = cjson.decode(raw)
local dim, scope, win, amount, state, settled = r[1], r[2], r[3], r[4], r[5], r[6]
if state ~= 'reserved' then
  return cjson.encode({dim = dim, scope = scope, amount = amount, used = settled, refund = amount - settled,
    replayed = true})
end
if req.used > amount + EPS then return cjson.encode({error = 'over', amount = amount}) end
local refund = amount - req.used
if refund > 0 and req.windows[dim] == win then
  local counter = 'w:' .. dim .. ':' .. scope
  put(counter, win, math.max(0, window_value(counter, win) - refund))
  add_usage(dim, scope, req.hour, 'used', -refund)
end
redis.call('HSET', R, req.key, cjson.encode({dim, scope, win, amount, 'settled', req.used, r[7]}))
flush()
return cjson.encode({dim = dim, scope = scope, amount = amount, used = req.used, refund = refund, replayed = false})
