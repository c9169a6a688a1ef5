-- Admit across every check of the request, or none (engine.admit).
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
    return cjson.encode({allowed = true, replayed = true, expires = expires, decisions = {}, notified = 0})
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
local notified, out = 0, {}
for _, pair in ipairs(evaluated) do
  local c, d = pair[1], pair[2]
  local ok = d.outcome == 'admitted' or d.outcome == 'billed'
  if allowed then apply(c, d) end
  if allowed or not ok then notified = notified + notify_and_log(c, d.outcome, d.demand, req.minute) end
  table.insert(out, {c.d, c.s, d.outcome, c.l, d.used, d.remaining, d.reset, d.retry, d.overage})
end
flush()
local expires = 0
if allowed and req.lease ~= '' then expires = now + req.ttl end
return cjson.encode({allowed = allowed, replayed = replays > 0 and #evaluated == 0, expires = expires,
  decisions = out, notified = notified})
