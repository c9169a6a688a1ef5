-- Record a measured gauge value (engine.set_gauge).
json_request()
local c = req.check
local outcome = 'admitted'
if c.a > c.l + EPS then outcome = OUTCOME[c.m] end
local overage = 0
put('g:' .. c.d, 0, c.a)
add_usage(c.d, '', req.hour, 'peak', c.a)
if outcome == 'billed' then
  overage = c.a - c.l
  add_usage(c.d, '', req.hour, 'over_peak', overage)
end
notify_and_log(c, outcome, c.a, req.minute)
flush()
return cjson.encode({c.d, c.s, outcome, c.l, c.a, math.max(0, c.l - c.a), 0, 0, overage})
