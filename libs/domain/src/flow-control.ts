/**
 * Flow control's arithmetic: in-flight caps per endpoint and tenant, and `throttleRate` per endpoint and
 * application, decided before a delivery attempt touches PostgreSQL.
 *
 * The state lives in Redis and is changed by one Lua script per admission (FlowControlService), because
 * every worker process must see the same slots; these functions are that script's arithmetic, written once
 * more where it can be unit-tested. The script's integration test replays the same steps against Redis and
 * expects the numbers these functions give.
 *
 * Two ideas, both "virtual scheduling":
 * - a throttle is GCRA: each admission pushes the bucket's theoretical arrival time (TAT) one interval
 *   (1/rate) ahead, and a job may start once the TAT is at most a small tolerance away;
 * - a refused job is not retried blindly: it takes the next place in the bucket's line (its `tail`) and is
 *   deferred to exactly that time, so a backlog of N jobs is deferred about once each, spread over the time
 *   the endpoint needs to work it off, instead of cycling through the queue.
 */

/** How early before its slot a throttled job may start: absorbs the queue's timer jitter. */
export const THROTTLE_TOLERANCE_MAX_MS = 10;

/** The smallest estimate of how long an attempt holds its slot: keeps a refused job from returning at once. */
export const HOLD_ESTIMATE_MIN_MS = 5;

/**
 * ENDPOINT_MAX_IN_FLIGHT counts in full for an endpoint whose attempts hold their slot this long or more; a
 * faster endpoint may have proportionally more in flight (see `effectiveEndpointCap`).
 */
export const ENDPOINT_CAP_REFERENCE_HOLD_MS = 250;

/** Weight of the newest attempt in the moving average of how long an attempt holds its slot. */
export const HOLD_AVERAGE_WEIGHT = 0.2;

export interface ThrottleSpacing {
  /** 1000 / rate: the spacing of admissions; 0 means not throttled. */
  intervalMs: number;
  /** How far before its TAT a job may start (a quarter of the interval, at most 10 ms). */
  toleranceMs: number;
  /** How late after its slot a job may start without slowing the schedule (half the interval, at most 50 ms). */
  catchUpMs: number;
}

/** The most a late admission may catch up on (see `throttleSlot`). */
export const THROTTLE_CATCH_UP_MAX_MS = 50;

/** The spacing that `rate` messages per second imposes; null, undefined or 0 means no throttle. */
export function throttleSpacing(rate: number | null | undefined): ThrottleSpacing {
  if (!rate || rate <= 0) return { intervalMs: 0, toleranceMs: 0, catchUpMs: 0 };
  const intervalMs = 1000 / rate;
  return {
    intervalMs,
    toleranceMs: Math.min(intervalMs / 4, THROTTLE_TOLERANCE_MAX_MS),
    catchUpMs: Math.min(intervalMs / 2, THROTTLE_CATCH_UP_MAX_MS),
  };
}

/** A throttle bucket's state: its TAT and the end of the line of jobs deferred to it (ms, Redis clock). */
export interface ThrottleState {
  tat: number;
  tail: number;
}

export type SlotDecision =
  { admitted: true; state: ThrottleState } | { admitted: false; state: ThrottleState; startAt: number };

/**
 * One job at a throttle bucket at `now`. A job that comes back from a deferral kept its place in the line, so
 * only the TAT counts for it; a job seen for the first time also waits behind the line (`tail`), or it would
 * take the slot of a job that is about to come back. Admitted: the TAT moves one interval on from now (or from
 * itself, if it was ahead). Refused: the job is deferred to the end of the line, which grows by one interval.
 */
export function throttleSlot(
  state: ThrottleState,
  now: number,
  spacing: ThrottleSpacing,
  returning: boolean,
): SlotDecision {
  const earliest = returning ? state.tat : Math.max(state.tat, state.tail);
  if (earliest <= now + spacing.toleranceMs) {
    // A returning job admitted a little after its slot (the queue and the worker take a few ms) does not push
    // the schedule back by that much: the TAT moves on from at most `catchUpMs` before now, so the average
    // rate holds; two admissions can then come at most catchUpMs + tolerance closer than one interval.
    const from = returning ? now - spacing.catchUpMs : now;
    return {
      admitted: true,
      state: { tat: Math.max(state.tat, from) + spacing.intervalMs, tail: state.tail },
    };
  }
  const startAt = Math.max(state.tat, state.tail);
  return { admitted: false, startAt, state: { tat: state.tat, tail: startAt + spacing.intervalMs } };
}

/**
 * How long an attempt is expected to hold its slot: the moving average of how long past attempts held theirs
 * (admission to release), or, when the endpoint hangs (see `isHanging`), the age of the oldest attempt in
 * flight if that is longer (a hang shows there before any attempt finishes), kept between
 * HOLD_ESTIMATE_MIN_MS and the delivery timeout (a pessimistic bound).
 */
export function holdEstimate(
  averageHoldMs: number | undefined,
  hangingForMs: number,
  timeoutMs: number,
): number {
  const estimate = Math.max(averageHoldMs ?? 0, hangingForMs);
  return Math.min(Math.max(estimate, HOLD_ESTIMATE_MIN_MS), timeoutMs);
}

/**
 * A job refused by a full cap: with `cap` slots each held for `holdMs`, a slot frees every holdMs / cap on
 * average, so the line behind the cap moves that fast. The job is deferred one step past the end of the line
 * (or one step from now if there is none); its start time is the line's new end. The place is an estimate: a
 * release wakes the first job in line sooner when a slot frees sooner.
 */
export function capPlace(tail: number, now: number, holdMs: number, cap: number): { startAt: number } {
  return { startAt: Math.max(tail, now) + holdMs / cap };
}

/**
 * An attempt in flight this long, with no answer from the receiver meanwhile, shows an endpoint that started
 * to hang, before any attempt finishes and tells the average: the cap falls back to its base at once.
 */
export const HANG_AFTER_MS = 1_000;

/**
 * Whether an endpoint (or a tenant) hangs: its oldest attempt in flight is HANG_AFTER_MS old and its receiver
 * has not answered any attempt for as long. An old attempt alone is not enough: under load our own time around
 * an attempt (a busy worker, a slow commit) grows past a second while the receiver keeps answering in
 * milliseconds, and taking that for a hang would shrink the cap and pace the backlog as if it were slow.
 */
export function isHanging(oldestInFlightAgeMs: number, sinceLastAnswerMs: number | undefined): boolean {
  return (
    oldestInFlightAgeMs >= HANG_AFTER_MS &&
    (sinceLastAnswerMs === undefined || sinceLastAnswerMs >= HANG_AFTER_MS)
  );
}

/**
 * The cap an endpoint is held to. The cap protects other senders from an endpoint that holds worker slots for
 * long (one that hangs until the timeout), not from one that frees them in milliseconds: a fast endpoint with
 * a backlog cycling through every worker slot delays nobody. So the cap counts in full for an endpoint whose
 * receiver takes ENDPOINT_CAP_REFERENCE_HOLD_MS or more to answer (a moving average of its response times,
 * not of our own time around them, which grows with our load and would shrink the cap just when the backlog
 * is longest), and grows in proportion as it gets faster (20 at 250 ms, 100 at 50 ms). An endpoint with no
 * history yet gets the cap in full until it shows it is fast, and one that hangs (`isHanging`) falls back to it.
 */
export function effectiveEndpointCap(
  cap: number,
  averageResponseMs: number | undefined,
  hanging: boolean,
): number {
  if (cap <= 0 || averageResponseMs === undefined || hanging) return cap;
  const hold = Math.max(averageResponseMs, HOLD_ESTIMATE_MIN_MS);
  return Math.max(cap, Math.floor((cap * ENDPOINT_CAP_REFERENCE_HOLD_MS) / hold));
}

/** The moving average of attempt hold times after one more attempt. */
export function holdAverage(previousMs: number | undefined, sampleMs: number): number {
  return previousMs === undefined ? sampleMs : previousMs + HOLD_AVERAGE_WEIGHT * (sampleMs - previousMs);
}
