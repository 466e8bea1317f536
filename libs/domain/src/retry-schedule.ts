/**
 * When to try a failed delivery again. The first attempt goes out at once; `schedule[i]` is the delay before
 * retry i+1, so a schedule of n delays means n + 1 attempts in all (Svix's default: 7 delays, 8 attempts).
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** ±20 %, as Svix (`JITTER_DELTA`): spreads the retries of a burst that failed together. */
export const RETRY_JITTER = 0.2;

export interface NextAttemptInput {
  /** Delays in ms before each retry. */
  schedule: readonly number[];
  /** Attempts already made for this delivery: 1 right after the first attempt failed. */
  attemptsMade: number;
  /** From a 429/503 `Retry-After` (see `parseRetryAfter`). */
  retryAfterMs?: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/**
 * Delay in ms before the next attempt, or `undefined` when the schedule is exhausted (the delivery fails).
 *
 * Without `Retry-After`: the scheduled step ±20 %.
 * With `Retry-After`: the receiver's value clamped to [step, 2 × step] (as Svix's `limit_retry_delay`), so a
 * receiver can slow us down but neither speed the schedule up nor park a delivery for days. Jitter is then
 * upward only and stays inside the clamp: we never come back earlier than asked, and deliveries told the same
 * HTTP-date do not all return in the same instant.
 */
export function nextAttemptDelay(input: NextAttemptInput): number | undefined {
  const { schedule, attemptsMade } = input;
  if (!Number.isSafeInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be a positive integer (got ${attemptsMade}).`);
  }
  const step = schedule[attemptsMade - 1];
  if (step === undefined) return undefined;
  if (!Number.isFinite(step) || step < 0) {
    throw new RangeError(
      `Retry schedule step ${attemptsMade} must be a non-negative number of ms (got ${step}).`,
    );
  }
  const random = input.random ?? Math.random;
  const retryAfter = input.retryAfterMs;

  if (retryAfter === undefined || Number.isNaN(retryAfter)) {
    return Math.round(step * (1 + RETRY_JITTER * (2 * random() - 1)));
  }
  const floor = Math.min(Math.max(retryAfter, step), 2 * step);
  return Math.round(Math.min(floor * (1 + RETRY_JITTER * random()), 2 * step));
}

const DELTA_SECONDS = /^\d+$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** RFC 9110 §5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime forms a recipient must still accept. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * A `Retry-After` header as a delay in ms from `now` (epoch ms): delta-seconds or an HTTP-date. A date in the past
 * is 0. Anything else is `undefined`, and the plain schedule applies. `Date.parse` is not used: it accepts far
 * more than HTTP-dates (`"1"` is the year 2001).
 */
export function parseRetryAfter(headerValue: string | null | undefined, now: number): number | undefined {
  if (headerValue == null) return undefined;
  const value = headerValue.trim();
  if (DELTA_SECONDS.test(value)) {
    const ms = Number(value) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const at = parseHttpDate(value, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

function parseHttpDate(value: string, now: number): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years ahead is in the previous century.
    const currentYear = new Date(now).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(m[3]);
    if (year > currentYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(
  year: number,
  month: string,
  day: number,
  h: string,
  min: string,
  s: string,
): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const [hours, minutes, seconds] = [Number(h), Number(min), Number(s)];
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const time = Date.UTC(year, monthIndex, day, hours, minutes, Math.min(seconds, 59));
  // Date.UTC rolls 31 Feb over into March; a date that does not exist is not a date.
  return new Date(time).getUTCDate() === day ? time : undefined;
}
