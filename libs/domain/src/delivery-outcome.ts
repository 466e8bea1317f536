import { nextAttemptDelay, parseRetryAfter } from './retry-schedule';

/**
 * What one attempt's HTTP result means for its delivery, its endpoint and the tenant's operational webhooks.
 * Pure decisions: the worker computes them, then persists them in one write.
 */

/** The operational webhooks Hookrelay sends (Svix's names): the only names an operational endpoint may filter on. */
export const OPERATIONAL_EVENT_TYPES = [
  'endpoint.disabled',
  'message.attempt.exhausted',
  'message.attempt.failing',
  'message.attempt.recovered',
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

/** Svix sends `message.attempt.failing` once a message has failed this many attempts in a row. */
export const FAILING_EVENT_AFTER = 4;

export type NextDeliveryState = { status: 'pending'; nextAttemptAt: Date } | { status: 'success' | 'fail' };

export interface AttemptResult {
  /** 0 when no HTTP response arrived. */
  statusCode: number;
  retryAfter?: string;
  /**
   * Why no response arrived; `blocked_address` (the SSRF guard refused the destination) and `unknown_host`
   * (the name does not exist) are terminal.
   */
  errorKind?: string;
}

export interface AttemptOutcome {
  success: boolean;
  /** 410 Gone: the receiver asks never to be called again. */
  gone: boolean;
  next: NextDeliveryState;
}

/**
 * Success is any 2xx. A 410 ends the delivery and disables the endpoint. A destination the SSRF guard refused
 * ends the delivery at once (it would be refused again). Anything else is retried along the
 * schedule (429/503 honour `Retry-After` within its clamp) until the schedule is exhausted: then the delivery
 * fails, which is its dead letter.
 */
export function attemptOutcome(
  result: AttemptResult,
  schedule: readonly number[],
  /** Attempts already made in the current schedule, before this one. */
  retryCount: number,
  at: Date,
  random?: () => number,
): AttemptOutcome {
  const success = result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  if (success) return { success, gone, next: { status: 'success' } };
  if (gone) return { success, gone, next: { status: 'fail' } };
  // A refused destination stays refused: retrying it would only probe the guard on a schedule. A name that
  // does not exist ends the same way, or the number of attempts would tell which internal names exist.
  if (result.errorKind === 'blocked_address' || result.errorKind === 'unknown_host') {
    return { success, gone, next: { status: 'fail' } };
  }
  const honoursRetryAfter = result.statusCode === 429 || result.statusCode === 503;
  const delay = nextAttemptDelay({
    schedule,
    attemptsMade: retryCount + 1,
    retryAfterMs: honoursRetryAfter ? parseRetryAfter(result.retryAfter, at.getTime()) : undefined,
    random,
  });
  return {
    success,
    gone,
    next:
      delay === undefined
        ? { status: 'fail' }
        : { status: 'pending', nextAttemptAt: new Date(at.getTime() + delay) },
  };
}

/** An endpoint's health as the claim saw it. */
export interface EndpointHealth {
  /** Start of the current run of failed attempts; null after any success. */
  failingSince: Date | null;
  disabled: boolean;
}

/**
 * The writes an outcome asks of its endpoint. Health changes only on transitions (a streak starts or ends,
 * the endpoint is disabled), so attempts never write or lock their endpoint's row otherwise; the write
 * itself re-checks its condition, so two attempts racing on one endpoint cannot undo each other.
 */
export interface HealthChange {
  /** Mark the start of a failing streak (where none is marked). */
  startStreak: boolean;
  /** Clear the failing streak (where one is marked). */
  endStreak: boolean;
  /** Disable the endpoint: 410 Gone, or failing for `disableAfterMs` and more. */
  disable: boolean;
}

export function endpointHealthChange(
  seen: EndpointHealth,
  outcome: { success: boolean; gone: boolean },
  at: Date,
  disableAfterMs: number,
): HealthChange {
  if (outcome.success) return { startStreak: false, endStreak: seen.failingSince !== null, disable: false };
  const streakStart = seen.failingSince ?? at;
  return {
    startStreak: seen.failingSince === null,
    endStreak: false,
    disable: !seen.disabled && (outcome.gone || streakStart.getTime() <= at.getTime() - disableAfterMs),
  };
}

/**
 * The operational webhooks an attempt raises about its message (Svix's rules): `failing` on the 4th failure
 * in a row while retries remain, `exhausted` when the last one fails, `recovered` when a message succeeds
 * after failing 4 times. `endpoint.disabled` depends on the disable actually happening, so the write decides it.
 */
export function messageEventsFor(
  outcome: AttemptOutcome,
  /** Attempts already made in the current schedule, before this one. */
  retryCount: number,
): OperationalEventType[] {
  const events: OperationalEventType[] = [];
  if (outcome.success && retryCount >= FAILING_EVENT_AFTER) events.push('message.attempt.recovered');
  if (!outcome.success && retryCount + 1 === FAILING_EVENT_AFTER && outcome.next.status === 'pending') {
    events.push('message.attempt.failing');
  }
  if (outcome.next.status === 'fail') events.push('message.attempt.exhausted');
  return events;
}
