/**
 * The two Redis scripts of flow control (FlowControlService). Their arithmetic is `libs/domain`'s
 * flow-control.ts, line for line; a change here is a change there. Times are milliseconds on the Redis
 * clock (TIME), so workers whose clocks differ still share one schedule; a script answers with a delay, which
 * the worker adds to its own clock. The last argument may fix the clock instead (tests).
 */

/** Shared by both scripts: the clock, and keeping a state hash alive `idleMs` past the last time it matters. */
const PRELUDE = `
local function clock(fixed)
  if fixed ~= '' then return tonumber(fixed) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function keep(key, untilMs, now, idleMs)
  local ttl = math.ceil(math.max(untilMs - now, 0) + idleMs)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * Admit one attempt, or say how long to defer it. One call, all or nothing:
 * 1. endpoint cap, 2. tenant cap: leases in a sorted set scored by expiry; expired ones (a crashed worker's)
 *    are dropped first. The endpoint's cap grows for a fast endpoint (effectiveEndpointCap) unless it hangs
 *    (isHanging). Full: the job takes the next place in the cap's line (hold estimate / cap apart, the hold
 *    being how long slots were really held, admission to release), and a release wakes the first in line.
 * 2. throttles (endpoint, application): GCRA with a line; a refused job is deferred to the later of the
 *    refusing buckets' places, and only that bucket's line grows.
 * Admitted: each throttle's TAT moves on and a lease is added to each capped set.
 *
 * A job put in a cap's line is also listed in the cap's waiting set (scored by its place), so that a release
 * can wake it before its place; an admitted job leaves the set.
 *
 * KEYS: 1 endpoint leases, 2 tenant leases, 3 endpoint state, 4 tenant state, 5 application state,
 *       6 endpoint waiting, 7 tenant waiting.
 * ARGV: 1 lease id, 2 lease ms, 3 endpoint cap, 4 tenant cap, 5 endpoint interval, 6 endpoint tolerance,
 *       7 application interval, 8 application tolerance, 9 returning (1/0), 10 timeout ms (longest hold
 *       estimate), 11 shortest hold estimate, 12 idle ms, 13 fixed clock or '', 14 the endpoint cap's
 *       reference hold ms (0: the cap never grows), 15 endpoint catch-up ms, 16 application catch-up ms,
 *       17 the age of an attempt in flight that shows an endpoint starting to hang (HANG_AFTER_MS), 18 the
 *       queue job's id (what a release wakes).
 * Returns {1, 0, ''} when admitted, {0, delay ms, reason} when deferred.
 */
export const ADMIT_LUA = `${PRELUDE}
local leaseId, leaseMs, jobId = ARGV[1], tonumber(ARGV[2]), ARGV[18]
local returning = ARGV[9] == '1'
local timeoutMs, minHold, idleMs = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local hangAfter = tonumber(ARGV[17])
local now = clock(ARGV[13])

local function deferTo(startAt, reason)
  return {0, math.max(1, math.ceil(startAt - now)), reason}
end

local function capFull(leases, state, waiting, cap, reason, referenceHold)
  if cap <= 0 then return nil end
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local count = redis.call('ZCARD', leases)
  if count < cap then return nil end
  local s = redis.call('HMGET', state, 'hold', 'capTail', 'slot', 'answered')
  local oldest = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  local age = now - (tonumber(oldest[2]) - leaseMs)
  local average, answered = tonumber(s[1]), tonumber(s[4])
  -- Hanging: an attempt in flight this long and no receiver answer meanwhile. An old lease alone is our own
  -- slowness (a loaded worker, PostgreSQL), not the receiver's, while answers keep coming.
  local hanging = age >= hangAfter and not (answered and now - answered < hangAfter)
  if referenceHold > 0 and average and not hanging then
    cap = math.max(cap, math.floor(cap * referenceHold / math.max(average, minHold)))
    if count < cap then return nil end
  end
  local hold = tonumber(s[3]) or average or 0
  if hanging then hold = math.max(hold, age) end
  hold = math.min(math.max(hold, minHold), timeoutMs)
  local startAt = math.max(tonumber(s[2]) or 0, now) + hold / cap
  redis.call('HSET', state, 'capTail', startAt)
  keep(state, startAt, now, idleMs)
  -- The place is an estimate; a release wakes the job sooner (see RELEASE_LUA), so a line never idles the cap.
  redis.call('ZADD', waiting, startAt, jobId)
  keep(waiting, startAt, now, idleMs)
  return deferTo(startAt, reason)
end

local function slot(state, interval, tolerance)
  if interval <= 0 then return nil end
  local s = redis.call('HMGET', state, 'tat', 'tail')
  local tat, tail = tonumber(s[1]) or 0, tonumber(s[2]) or 0
  local earliest = tat
  if not returning then earliest = math.max(tat, tail) end
  return {admitted = earliest <= now + tolerance, tat = tat, tail = tail, place = math.max(tat, tail)}
end

local full = capFull(KEYS[1], KEYS[3], KEYS[6], tonumber(ARGV[3]), 'endpoint_in_flight', tonumber(ARGV[14]))
  or capFull(KEYS[2], KEYS[4], KEYS[7], tonumber(ARGV[4]), 'tenant_in_flight', 0)
if full then return full end

local epInterval, appInterval = tonumber(ARGV[5]), tonumber(ARGV[7])
local ep = slot(KEYS[3], epInterval, tonumber(ARGV[6]))
local app = slot(KEYS[5], appInterval, tonumber(ARGV[8]))
local epRefused = ep ~= nil and not ep.admitted
local appRefused = app ~= nil and not app.admitted
if epRefused and (not appRefused or ep.place >= app.place) then
  redis.call('HSET', KEYS[3], 'tail', ep.place + epInterval)
  keep(KEYS[3], ep.place + epInterval, now, idleMs)
  return deferTo(ep.place, 'endpoint_throttle')
end
if appRefused then
  redis.call('HSET', KEYS[5], 'tail', app.place + appInterval)
  keep(KEYS[5], app.place + appInterval, now, idleMs)
  return deferTo(app.place, 'application_throttle')
end

if ep then
  local tat = math.max(ep.tat, now - (returning and tonumber(ARGV[15]) or 0)) + epInterval
  redis.call('HSET', KEYS[3], 'tat', tat)
  keep(KEYS[3], math.max(tat, ep.tail), now, idleMs)
end
if app then
  local tat = math.max(app.tat, now - (returning and tonumber(ARGV[16]) or 0)) + appInterval
  redis.call('HSET', KEYS[5], 'tat', tat)
  keep(KEYS[5], math.max(tat, app.tail), now, idleMs)
end
local expires = now + leaseMs
for i, cap in ipairs({tonumber(ARGV[3]), tonumber(ARGV[4])}) do
  if cap > 0 then
    redis.call('ZADD', KEYS[i], expires, leaseId)
    redis.call('PEXPIRE', KEYS[i], leaseMs)
    redis.call('ZREM', KEYS[5 + i], jobId)
  end
end
return {1, 0, ''}
`;

/**
 * Release an attempt's lease, whatever its outcome, and fold into the endpoint's and the tenant's state how
 * long the slot was held (`slot`, admission to release: what paces a cap's line) and, when the attempt
 * reached the receiver, the receiver's response time (`hold`: what sizes a fast endpoint's cap) and when it
 * answered (`answered`: an endpoint still answering is not hanging). Releasing twice, or a lease that expired
 * meanwhile, is harmless.
 *
 * Then it takes the jobs to wake out of each cap's waiting set: the first ones whose place is still ahead
 * (one whose place has come is on its way back already), two while the cap has room for more than one (so an
 * idle cap fills up again), one otherwise (the freed slot). The caller promotes them in the queue.
 *
 * KEYS: 1 endpoint leases, 2 tenant leases, 3 endpoint state, 4 tenant state, 5 endpoint waiting, 6 tenant
 *       waiting.
 * ARGV: 1 lease id, 2 lease ms, 3 the receiver's response time in ms (-1: it was not reached), 4 average
 *       weight, 5 idle ms, 6 fixed clock or '', 7 endpoint cap, 8 tenant cap.
 * Returns {1 if the lease was held else 0, job ids to wake...}.
 */
export const RELEASE_LUA = `${PRELUDE}
local leaseId, leaseMs, weight, idleMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = clock(ARGV[6])
local expires = redis.call('ZSCORE', KEYS[1], leaseId) or redis.call('ZSCORE', KEYS[2], leaseId)
redis.call('ZREM', KEYS[1], leaseId)
redis.call('ZREM', KEYS[2], leaseId)
local woken = {}
local function wake(waiting, leases, cap)
  if cap <= 0 then return end
  local wanted = 1
  if redis.call('ZCARD', leases) < cap - 1 then wanted = 2 end
  -- Bounded: entries whose place has come are dropped on the way (their jobs are coming back by themselves).
  for _ = 1, 10 do
    if wanted == 0 then return end
    local head = redis.call('ZPOPMIN', waiting)
    if #head == 0 then return end
    if tonumber(head[2]) > now then
      table.insert(woken, head[1])
      wanted = wanted - 1
    end
  end
end
wake(KEYS[5], KEYS[1], tonumber(ARGV[7]))
wake(KEYS[6], KEYS[2], tonumber(ARGV[8]))
if not expires then return {0, unpack(woken)} end
local held = math.max(now - (tonumber(expires) - leaseMs), 0)
local observed = tonumber(ARGV[3])
local function average(previous, sample)
  if previous then return previous + weight * (sample - previous) end
  return sample
end
for i = 3, 4 do
  local s = redis.call('HMGET', KEYS[i], 'hold', 'slot')
  redis.call('HSET', KEYS[i], 'slot', average(tonumber(s[2]), held))
  if observed >= 0 then
    redis.call('HSET', KEYS[i], 'hold', average(tonumber(s[1]), observed), 'answered', now)
  end
  keep(KEYS[i], now, now, idleMs)
end
return {1, unpack(woken)}
`;
