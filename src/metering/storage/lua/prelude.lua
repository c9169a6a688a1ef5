-- Shared helpers for every metering script. Mirrors metering/engine.py; the shared test suite holds
-- the two equal. KEYS: 1 state, 2 leases, 3 reservations, 4 fired, 5 outbox, 6 pending, 7 events, 8 usage.
-- ARGV[1]: tenant id; then the request: one JSON argument (json_request) or admit's positional arguments.
-- Every key of one tenant shares the hash tag {tenant}.
local S, L, R, F, O, Q, E, U = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local tenant = ARGV[1]
local req, now

-- Read the request from ARGV[2] as JSON (every script but admit, which reads positional arguments).
local function json_request()
  req = cjson.decode(ARGV[2])
  now = req.now
end
local EPS = 1e-9
local OUTCOME = {throttle = 'throttled', bill = 'billed', hard_fail = 'rejected'}

-- A number as text that reads back exactly; whole numbers (windows, counts) skip the costly %.17g.
local function num(x)
  if x == math.floor(x) and x > -1e15 and x < 1e15 then return string.format('%d', x) end
  return string.format('%.17g', x)
end

-- The tenant's scalar state ("<window> <value>" per key) is read with one HGETALL and written back with
-- one HSET by flush(), which every script that calls put() runs before it returns.
local state, dirty = nil, {}

local function get(key)
  if state == nil then
    state = {}
    local all = redis.call('HGETALL', S)
    for i = 1, #all, 2 do state[all[i]] = all[i + 1] end
  end
  local v = state[key]
  if not v then return nil, nil end
  local w, x = string.match(v, '^(%S+) (%S+)$')
  return tonumber(w), tonumber(x)
end

local function put(key, w, x)
  if state == nil then get(key) end
  local v = num(w) .. ' ' .. num(x)
  state[key] = v
  dirty[key] = v
end

local function flush()
  local args = {}
  for k, v in pairs(dirty) do
    args[#args + 1] = k
    args[#args + 1] = v
  end
  if #args > 0 then redis.call('HSET', S, unpack(args)) end
end

local function window_value(key, win)
  local w, x = get(key)
  if w ~= nil and w == win then return x end
  return 0
end

-- Usage history: the hash U, field "<dim>|<scope>|<hour>|<metric>". Peaks keep their maximum, the rest add up.
local function add_history(dim, scope, hour, metric, value, peak)
  local f = dim .. '|' .. scope .. '|' .. num(hour) .. '|' .. metric
  if peak then
    local old = tonumber(redis.call('HGET', U, f))
    if old == nil or value > old then redis.call('HSET', U, f, num(value)) end
  elseif value == math.floor(value) then
    -- whole amounts (the usual case) take the cheaper integer increment; a field that already holds a
    -- fraction refuses it, and then takes the float one
    local ok = redis.pcall('HINCRBY', U, f, value)
    if type(ok) == 'table' and ok.err then redis.call('HINCRBYFLOAT', U, f, num(value)) end
  else
    redis.call('HINCRBYFLOAT', U, f, num(value))
  end
end

-- The current hour's usage is held in the state hash, field "u:<dim>|<scope>|<metric>" (window = hour),
-- and moves into U when a later hour's usage arrives: a decision adds no write of its own for usage.
local function add_usage(dim, scope, hour, metric, value)
  local key = 'u:' .. dim .. '|' .. scope .. '|' .. metric
  local peak = metric == 'peak' or metric == 'over_peak'
  local held_hour, held = get(key)
  if held_hour == hour then
    if not peak then
      value = value + held
    elseif value <= held then
      return
    end
  elseif held_hour ~= nil and held_hour > hour then
    add_history(dim, scope, hour, metric, value, peak)  -- dated before the held hour: straight into history
    return
  elseif held_hour ~= nil then
    add_history(dim, scope, held_hour, metric, held, peak)
  end
  put(key, hour, value)
end

local function fire(dim, scope, period, label, level, limit)
  local f = dim .. '|' .. scope .. '|' .. period .. '|' .. label
  if redis.call('HEXISTS', F, f) == 1 then return 0 end
  local id = redis.call('HINCRBY', O, '#seq', 1)
  redis.call('HSET', F, f, id)
  redis.call('HSET', O, id, cjson.encode({id = id, tenant = tenant, dim = dim, scope = scope, period = period,
    threshold = label, usage = level, limit = limit, created = now, attempts = 0, error = ''}))
  redis.call('ZADD', Q, 0, id)
  return 1
end

local function notify_and_log(c, outcome, demand, minute)
  local level = demand
  if outcome ~= 'admitted' and c.l > level then level = c.l end
  local fired = 0
  for _, t in ipairs(c.t) do
    if level + EPS >= t[2] then fired = fired + fire(c.d, c.s, c.p, t[1], level, c.l) end
  end
  if outcome ~= 'admitted' then
    redis.call('HINCRBY', E, num(minute) .. '|' .. c.d .. '|' .. c.s .. '|' .. outcome, 1)
  end
  return fired
end
