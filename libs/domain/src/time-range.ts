import { ValidationError } from './domain-error';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far back the dashboard looks: what is kept (SPEC: 30 days by default). */
export const DEFAULT_RETENTION_DAYS = 30;
/** Clock skew allowed on `since` at the edge of the retention window. */
const SKEW_MS = 5 * 60 * 1000;

export interface TimeRange {
  since: Date;
  until: Date;
}

/**
 * The [since, until) range a dashboard query covers: the whole retention window by default. Refuses (422,
 * code `invalid_time_range`, naming the field) a range that is inverted or empty, or that starts before what is
 * retained. `until` later than now is kept as is (nothing is there yet).
 */
export function dashboardRange(
  input: { since?: Date | null; until?: Date | null },
  loc: 'query' | 'body',
  now: Date = new Date(),
  retentionDays: number = DEFAULT_RETENTION_DAYS,
): TimeRange {
  const oldest = now.getTime() - retentionDays * DAY_MS;
  const until = input.until ?? now;
  const since = input.since ?? new Date(Math.min(oldest, until.getTime() - 1));
  if (since.getTime() >= until.getTime()) {
    throw ValidationError.coded(
      'invalid_time_range',
      [loc, 'since'],
      `since (${since.toISOString()}) must be before until (${until.toISOString()}).`,
    );
  }
  if (since.getTime() < oldest - SKEW_MS) {
    throw ValidationError.coded(
      'invalid_time_range',
      [loc, 'since'],
      `since must be within the retention window of ${retentionDays} days: not before ${new Date(oldest).toISOString()}.`,
    );
  }
  return { since, until };
}
