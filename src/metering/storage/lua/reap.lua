-- Count the tenant's leases that expired unreleased since the last count: expiry in (watermark, now].
-- Released leases hold minus their release time (release.lua), so only expiries are counted. The watermark is
-- the state field x:reaped, so every expiry is counted once whichever server asks.
json_request()
local _, since = get('x:reaped')
since = since or 0
local n = redis.call('ZCOUNT', L, '(' .. num(since), num(now))
if now > since then
  put('x:reaped', 0, now)
  flush()
end
return n
