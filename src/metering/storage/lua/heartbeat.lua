-- Extend an active lease (engine.heartbeat).
json_request()
local expires = tonumber(redis.call('ZSCORE', L, req.lease))
if expires == nil then return cjson.encode({error = 'not_found'}) end
if expires <= now then return cjson.encode({error = 'expired'}) end
redis.call('ZADD', L, num(now + req.ttl), req.lease)
return cjson.encode({expires = now + req.ttl})
