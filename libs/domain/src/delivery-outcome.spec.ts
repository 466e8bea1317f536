import { attemptOutcome, endpointHealthChange, messageEventsFor } from './delivery-outcome';

const schedule = [100, 200, 400];
const at = new Date('2026-11-30T12:00:00Z');
const noJitter = () => 0.5;

describe('attemptOutcome', () => {
  it('any 2xx succeeds', () => {
    for (const statusCode of [200, 201, 204, 299]) {
      expect(attemptOutcome({ statusCode }, schedule, 0, at)).toEqual({
        success: true,
        gone: false,
        next: { status: 'success' },
      });
    }
  });

  it('a failure is retried along the schedule, then dead-lettered', () => {
    expect(attemptOutcome({ statusCode: 500 }, schedule, 0, at, noJitter).next).toEqual({
      status: 'pending',
      nextAttemptAt: new Date(at.getTime() + 100),
    });
    expect(attemptOutcome({ statusCode: 0 }, schedule, 2, at, noJitter).next).toEqual({
      status: 'pending',
      nextAttemptAt: new Date(at.getTime() + 400),
    });
    expect(attemptOutcome({ statusCode: 500 }, schedule, 3, at).next).toEqual({ status: 'fail' });
  });

  it('410 Gone fails at once', () => {
    expect(attemptOutcome({ statusCode: 410 }, schedule, 0, at)).toEqual({
      success: false,
      gone: true,
      next: { status: 'fail' },
    });
  });

  it('a destination the SSRF guard refused, or a name that does not exist, fails at once; others are retried', () => {
    for (const errorKind of ['blocked_address', 'unknown_host']) {
      expect(attemptOutcome({ statusCode: 0, errorKind }, schedule, 0, at)).toEqual({
        success: false,
        gone: false,
        next: { status: 'fail' },
      });
    }
    expect(attemptOutcome({ statusCode: 0, errorKind: 'dns' }, schedule, 0, at, () => 0).next.status).toBe(
      'pending',
    );
  });

  it('honours Retry-After on 429 and 503 only, within [step, 2 × step]', () => {
    const later = (statusCode: number) => {
      const next = attemptOutcome({ statusCode, retryAfter: '3600' }, schedule, 0, at, () => 0).next;
      return next.status === 'pending' ? next.nextAttemptAt.getTime() - at.getTime() : undefined;
    };
    expect(later(429)).toBe(200);
    expect(later(503)).toBe(200);
    expect(later(500)).toBe(80);
  });
});

describe('endpointHealthChange', () => {
  const day = 86_400_000;

  it('writes nothing on a success of a healthy endpoint, and ends a streak otherwise', () => {
    const ok = { success: true, gone: false };
    expect(endpointHealthChange({ failingSince: null, disabled: false }, ok, at, day)).toEqual({
      startStreak: false,
      endStreak: false,
      disable: false,
    });
    expect(endpointHealthChange({ failingSince: new Date(0), disabled: false }, ok, at, day)).toEqual({
      startStreak: false,
      endStreak: true,
      disable: false,
    });
  });

  it('starts a streak on the first failure, and only then', () => {
    const failed = { success: false, gone: false };
    expect(endpointHealthChange({ failingSince: null, disabled: false }, failed, at, day).startStreak).toBe(
      true,
    );
    const since = new Date(at.getTime() - 1000);
    expect(endpointHealthChange({ failingSince: since, disabled: false }, failed, at, day)).toEqual({
      startStreak: false,
      endStreak: false,
      disable: false,
    });
  });

  it('disables after failing for the whole window, or at once on 410', () => {
    const failed = { success: false, gone: false };
    const longAgo = new Date(at.getTime() - day);
    expect(endpointHealthChange({ failingSince: longAgo, disabled: false }, failed, at, day).disable).toBe(
      true,
    );
    expect(
      endpointHealthChange({ failingSince: null, disabled: false }, { success: false, gone: true }, at, day)
        .disable,
    ).toBe(true);
    // Already disabled: nothing to announce again.
    expect(endpointHealthChange({ failingSince: longAgo, disabled: true }, failed, at, day).disable).toBe(
      false,
    );
  });
});

describe('messageEventsFor', () => {
  const failed = attemptOutcome({ statusCode: 500 }, [1, 1, 1, 1, 1, 1], 0, at);
  const exhausted = attemptOutcome({ statusCode: 500 }, [1], 1, at);
  const succeeded = attemptOutcome({ statusCode: 200 }, [1], 0, at);

  it('raises failing on the 4th failure in a row, while retries remain', () => {
    expect(messageEventsFor(failed, 2)).toEqual([]);
    expect(messageEventsFor(failed, 3)).toEqual(['message.attempt.failing']);
    expect(messageEventsFor(failed, 4)).toEqual([]);
  });

  it('raises exhausted when the last attempt fails', () => {
    expect(messageEventsFor(exhausted, 1)).toEqual(['message.attempt.exhausted']);
  });

  it('raises recovered when a message succeeds after failing 4 times, not before', () => {
    expect(messageEventsFor(succeeded, 3)).toEqual([]);
    expect(messageEventsFor(succeeded, 4)).toEqual(['message.attempt.recovered']);
  });
});
