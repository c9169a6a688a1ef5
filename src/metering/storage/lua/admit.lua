-- Admit across every check of the request, or none (engine.admit).
-- ARGV (after the tenant): now, hour, minute, lease id, lease ttl, then per check: dimension, kind, limit,
-- mode, notify period, interval, tolerance, threshold count n, n x (label, value), amount, scope, window,
-- reset after, reservation key (the order of storage/redis.py pack_admit).
-- Reply, one string of space-separated fields: allowed, replayed, lease expiry, notifications fired, then
-- 9 fields per evaluated check (identifiers hold no spaces; an empty scope is an empty field).
local function positional_request()
  local r = {now = tonumber(ARGV[2]), hour = tonumber(ARGV[3]), minute = tonumber(ARGV[4]), lease = ARGV[5],
    ttl = tonumber(ARGV[6]), checks = {}}
  local i = 7
  while i <= #ARGV do
    local c = {d = ARGV[i], k = ARGV[i + 1], l = tonumber(ARGV[i + 2]), m = ARGV[i + 3], p = ARGV[i + 4],
      i = tonumber(ARGV[i + 5]), tol = tonumber(ARGV[i + 6]), t = {}}
    local n = tonumber(ARGV[i + 7])
    i = i + 8
    for j = 1, n do
      c.t[j] = {ARGV[i], tonumber(ARGV[i + 1])}
      i = i + 2
    end
    c.a, c.s, c.w, c.r, c.key = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]),
      ARGV[i + 4]
    i = i + 5
    r.checks[#r.checks + 1] = c
  end
  return r
end
req = positional_request()
now = req.now

local function evaluate(c, active)
  local before, over, remaining, reset, retry, new_tat = 0, false, 0, 0, 0, 0
  if c.k == 'rate' then
    local _, tat = get('t:' .. c.d)
    if tat == nil or tat < now then tat = now end
    new_tat = tat + c.a * c.i
    over = new_tat - now > c.tol + EPS
    before = window_value('w:' .. c.d .. ':', c.w)
    if over then
      remaining = math.max(0, math.floor((c.tol - (tat - now)) / c.i + EPS))
      reset, retry = tat - now, new_tat - c.tol - now
    else
      remaining = math.floor((c.tol - (new_tat - now)) / c.i + EPS)
      reset, retry = new_tat - now, 0
    end
  else
    if c.k == 'concurrency' then
      before = active
    elseif c.k == 'quota' then
      before = window_value('w:' .. c.d .. ':' .. c.s, c.w)
    else
      local _, g = get('g:' .. c.d)
      before = g or 0
    end
    over = before + c.a > c.l + EPS
    if over then remaining = math.max(0, c.l - before) else remaining = math.max(0, c.l - before - c.a) end
    if c.k == 'concurrency' then
      reset = 0
      if over then retry = c.r end
    elseif c.k == 'quota' then
      reset = c.r
      if over then retry = c.r end
    end
  end
  local outcome = 'admitted'
  if over then outcome = OUTCOME[c.m] end
  local used = before
  if outcome == 'admitted' or outcome == 'billed' then used = before + c.a end
  return {outcome = outcome, before = before, demand = before + c.a, used = used, remaining = remaining,
    reset = math.max(0, reset), retry = math.max(0, retry), new_tat = new_tat, overage = 0}
end

local function apply(c, d)
  local billed = d.outcome == 'billed'
  if c.k == 'rate' then
    put('t:' .. c.d, 0, math.min(d.new_tat, now + c.tol))
    put('w:' .. c.d .. ':', c.w, d.before + c.a)
    add_usage(c.d, '', req.hour, 'used', c.a)
    if billed then d.overage = c.a end
  elseif c.k == 'concurrency' then
    redis.call('ZADD', L, num(now + req.ttl), req.lease)
    add_usage(c.d, '', req.hour, 'peak', d.before + c.a)
    if billed then d.overage = c.a end
  elseif c.k == 'quota' then
    put('w:' .. c.d .. ':' .. c.s, c.w, d.before + c.a)
    if c.key ~= '' then
      redis.call('HSET', R, c.key, cjson.encode({c.d, c.s, c.w, c.a, 'reserved', 0, now}))
    end
    add_usage(c.d, c.s, req.hour, 'used', c.a)
    if billed then d.overage = d.before + c.a - math.max(d.before, c.l) end
  else
    put('g:' .. c.d, 0, d.before + c.a)
    add_usage(c.d, '', req.hour, 'peak', d.before + c.a)
    if billed then d.overage = d.before + c.a - c.l end
  end
  if d.overage > 0 then
    local metric = 'over'
    if c.k == 'gauge' then metric = 'over_peak' end
    add_usage(c.d, c.s, req.hour, metric, d.overage)
  end
end

if req.lease ~= '' then
  local expires = tonumber(redis.call('ZSCORE', L, req.lease))
  if expires ~= nil and expires > now then
    return '1 1 ' .. num(expires) .. ' 0'
  end
end
local active = 0
for _, c in ipairs(req.checks) do
  if c.k == 'concurrency' then
    active = redis.call('ZCOUNT', L, '(' .. num(now), '+inf')
    break
  end
end
local evaluated, replays, allowed = {}, 0, true
for _, c in ipairs(req.checks) do
  if c.key ~= '' and redis.call('HEXISTS', R, c.key) == 1 then
    replays = replays + 1
  else
    local d = evaluate(c, active)
    if d.outcome ~= 'admitted' and d.outcome ~= 'billed' then allowed = false end
    table.insert(evaluated, {c, d})
  end
end
local expires = 0
if allowed and req.lease ~= '' then expires = now + req.ttl end
local notified, out = 0, {0, 0, num(expires), 0}
if allowed then out[1] = 1 end
if allowed and replays > 0 and #evaluated == 0 then out[2] = 1 end
for _, pair in ipairs(evaluated) do
  local c, d = pair[1], pair[2]
  local ok = d.outcome == 'admitted' or d.outcome == 'billed'
  if allowed then apply(c, d) end
  if allowed or not ok then notified = notified + notify_and_log(c, d.outcome, d.demand, req.minute) end
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = c.d, c.s, d.outcome, num(c.l), num(d.used)
  out[n + 6], out[n + 7], out[n + 8], out[n + 9] = num(d.remaining), num(d.reset), num(d.retry), num(d.overage)
end
flush()
out[4] = notified
return table.concat(out, ' ')
