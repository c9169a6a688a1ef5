-- Free a lease's slot; idempotent (engine.release).
json_request()
local expires = tonumber(redis.call('ZSCORE', L, req.lease))
if expires == nil then return cjson.encode({error = 'not_found'}) end
if expires <= now then return cjson.encode({released = false}) end
-- the tombstone holds minus the release time; an expired lease keeps its (positive) expiry
redis.call('ZADD', L, num(-now), req.lease)
return cjson.encode({released = true})
