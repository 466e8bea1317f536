import { DEFAULT_RETRY_SCHEDULE_MS, maxAttempts, nextAttemptDelay, parseRetryAfter } from './retry-schedule';

const schedule = [1_000, 10_000, 60_000];
const fixed = (value: number) => () => value;

describe('nextAttemptDelay', () => {
  it('follows the schedule with no jitter at the midpoint', () => {
    expect(
      [1, 2, 3].map((attemptsMade) => nextAttemptDelay({ schedule, attemptsMade, random: fixed(0.5) })),
    ).toEqual(schedule);
  });

  it('jitters by ±20 %', () => {
    expect(nextAttemptDelay({ schedule, attemptsMade: 2, random: fixed(0) })).toBe(8_000);
    expect(nextAttemptDelay({ schedule, attemptsMade: 2, random: fixed(0.75) })).toBe(11_000);
    expect(nextAttemptDelay({ schedule, attemptsMade: 2, random: fixed(0.999999) })).toBe(12_000);
  });

  it('stays inside ±20 % with the real random source', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = nextAttemptDelay({ schedule, attemptsMade: 3 })!;
      expect(delay).toBeGreaterThanOrEqual(48_000);
      expect(delay).toBeLessThanOrEqual(72_000);
    }
  });

  it('is exhausted after the last step', () => {
    expect(nextAttemptDelay({ schedule, attemptsMade: 4, random: fixed(0.5) })).toBeUndefined();
    expect(nextAttemptDelay({ schedule: [], attemptsMade: 1 })).toBeUndefined();
  });

  it('gives the default schedule 8 attempts over about 27 hours, as Svix', () => {
    expect(maxAttempts(DEFAULT_RETRY_SCHEDULE_MS)).toBe(8);
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeCloseTo(27.59, 1);
    const delays = Array.from({ length: 8 }, (_, i) =>
      nextAttemptDelay({ schedule: DEFAULT_RETRY_SCHEDULE_MS, attemptsMade: i + 1, random: fixed(0.5) }),
    );
    expect(delays).toEqual([...DEFAULT_RETRY_SCHEDULE_MS, undefined]);
  });

  it('accepts a zero-delay step (tests shrink schedules)', () => {
    expect(nextAttemptDelay({ schedule: [0, 0], attemptsMade: 1, random: fixed(0) })).toBe(0);
  });

  describe('with Retry-After', () => {
    const at = (retryAfterMs: number, random = 0) =>
      nextAttemptDelay({ schedule, attemptsMade: 2, retryAfterMs, random: fixed(random) });

    it('honours a value inside [step, 2 × step]', () => {
      expect(at(15_000)).toBe(15_000);
    });

    it('raises a shorter value to the step', () => {
      expect(at(0)).toBe(10_000);
      expect(at(2_000)).toBe(10_000);
      expect(at(-5)).toBe(10_000);
    });

    it('caps a longer value at twice the step', () => {
      expect(at(3_600_000)).toBe(20_000);
      expect(at(Number.POSITIVE_INFINITY)).toBe(20_000);
    });

    it('jitters upward only, and never past twice the step', () => {
      expect(at(15_000, 0.5)).toBe(16_500);
      expect(at(15_000, 0.999999)).toBe(18_000);
      expect(at(19_000, 0.999999)).toBe(20_000);
      expect(at(2_000, 0.5)).toBe(11_000);
    });

    it('ignores NaN', () => {
      expect(at(Number.NaN, 0.5)).toBe(10_000);
    });

    it('does not revive an exhausted schedule', () => {
      expect(nextAttemptDelay({ schedule, attemptsMade: 4, retryAfterMs: 1_000 })).toBeUndefined();
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attemptsMade = %p', (attemptsMade) => {
    expect(() => nextAttemptDelay({ schedule, attemptsMade })).toThrow(RangeError);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a schedule step of %p', (step) => {
    expect(() => nextAttemptDelay({ schedule: [step], attemptsMade: 1 })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);

  it.each([
    ['0', 0],
    ['120', 120_000],
    [' 30 ', 30_000],
    ['007', 7_000],
  ])('reads delta-seconds %j', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([
    ['IMF-fixdate', 'Wed, 21 Oct 2015 07:30:00 GMT', 120_000],
    ['RFC 850', 'Wednesday, 21-Oct-15 07:29:00 GMT', 60_000],
    ['asctime', 'Wed Oct 21 07:28:30 2015', 30_000],
    ['asctime with a one-digit day', 'Thu Oct  1 00:00:00 2015', 0],
    ['a date in the past', 'Tue, 20 Oct 2015 07:28:00 GMT', 0],
    ['the exact instant', 'Wed, 21 Oct 2015 07:28:00 GMT', 0],
  ])('reads an HTTP-date (%s)', (_form, value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('puts a far-future RFC 850 two-digit year in the previous century', () => {
    expect(parseRetryAfter('Monday, 01-Jan-99 00:00:00 GMT', now)).toBe(0);
  });

  it.each([
    undefined,
    null,
    '',
    '-1',
    '1.5',
    '1e3',
    'soon',
    '2015-10-21T07:30:00Z',
    'Wed, 21 Oct 2015 07:30:00 UTC',
    'Wed, 31 Feb 2015 07:30:00 GMT',
    'Wed, 21 Oct 2015 25:30:00 GMT',
    'Wed, 21 Foo 2015 07:30:00 GMT',
  ])('returns undefined for %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('feeds nextAttemptDelay', () => {
    const retryAfterMs = parseRetryAfter('15', now);
    expect(nextAttemptDelay({ schedule, attemptsMade: 2, retryAfterMs, random: fixed(0) })).toBe(15_000);
  });
});
