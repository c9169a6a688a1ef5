-- Drop lease tombstones, settled reservations and refusal counts older than req.cutoff.
json_request()
redis.call('ZREMRANGEBYSCORE', L, '(' .. num(-req.cutoff), '0')  -- released before the cutoff
redis.call('ZREMRANGEBYSCORE', L, '0', '(' .. num(req.cutoff))  -- expired before the cutoff
local all = redis.call('HGETALL', R)
for i = 1, #all, 2 do
  local r = cjson.decode(all[i + 1])
  if r[7] < req.cutoff then redis.call('HDEL', R, all[i]) end
end
local events = redis.call('HKEYS', E)
for _, f in ipairs(events) do
  local minute = tonumber(string.match(f, '^([^|]+)|'))
  if minute < req.cutoff / 60 then redis.call('HDEL', E, f) end
end
return 1
