import {
  effectiveEndpointCap,
  isHanging,
  capPlace,
  holdAverage,
  holdEstimate,
  HOLD_ESTIMATE_MIN_MS,
  throttleSlot,
  throttleSpacing,
  ThrottleState,
} from './flow-control';

describe('throttleSpacing', () => {
  it('spaces admissions 1/rate apart, a tolerance of a quarter interval (at most 10 ms), a catch-up of half (at most 50 ms)', () => {
    expect(throttleSpacing(5)).toEqual({ intervalMs: 200, toleranceMs: 10, catchUpMs: 50 });
    expect(throttleSpacing(100)).toEqual({ intervalMs: 10, toleranceMs: 2.5, catchUpMs: 5 });
    expect(throttleSpacing(1)).toEqual({ intervalMs: 1000, toleranceMs: 10, catchUpMs: 50 });
  });

  it('means no throttle for null, undefined and 0', () => {
    for (const rate of [null, undefined, 0])
      expect(throttleSpacing(rate)).toEqual({ intervalMs: 0, toleranceMs: 0, catchUpMs: 0 });
  });
});

describe('throttleSlot (GCRA with a line of deferred jobs)', () => {
  const five = throttleSpacing(5);
  const fresh: ThrottleState = { tat: 0, tail: 0 };

  /** Runs jobs arriving at `times` (all first-timers) and returns each one's start: now, or its deferral. */
  function burst(times: number[]) {
    let state = fresh;
    return times.map((now) => {
      const decision = throttleSlot(state, now, five, false);
      state = decision.state;
      return decision.admitted ? now : decision.startAt;
    });
  }

  it('admits the first job and defers a burst to slots exactly one interval apart', () => {
    expect(burst([1000, 1001, 1002, 1003])).toEqual([1000, 1200, 1400, 1600]);
  });

  it('admits a job that comes back at its slot, and not one that comes back early', () => {
    let state = fresh;
    state = throttleSlot(state, 1000, five, false).state;
    const second = throttleSlot(state, 1001, five, false);
    expect(second).toMatchObject({ admitted: false, startAt: 1200 });
    state = second.state;
    expect(throttleSlot(state, 1150, five, true).admitted).toBe(false);
    const back = throttleSlot(state, 1195, five, true);
    expect(back.admitted).toBe(true);
    expect(back.state.tat).toBe(1400);
  });

  it('sends a first-timer behind the line even when the TAT has passed, so it takes no returning job`s slot', () => {
    // Jobs wait in line for slots 1200 and 1400: the first has come back and started, the second not yet.
    const state: ThrottleState = { tat: 1400, tail: 1600 };
    const newcomer = throttleSlot(state, 1399, five, false);
    expect(newcomer).toMatchObject({ admitted: false, startAt: 1600 });
    expect(newcomer.state.tail).toBe(1800);
    expect(throttleSlot(state, 1399, five, true).admitted).toBe(true);
  });

  it('lets an idle bucket admit at once, and never lets two admissions come closer than interval - tolerance - catch-up', () => {
    let state = fresh;
    const admitted: number[] = [];
    for (let now = 0; now < 5_000; now += 7) {
      const decision = throttleSlot(state, now, five, true);
      state = decision.state;
      if (decision.admitted) admitted.push(now);
    }
    const gaps = admitted.slice(1).map((t, i) => t - admitted[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200 - five.toleranceMs - five.catchUpMs);
    expect(admitted.length).toBeLessThanOrEqual(5_000 / 200 + 1);
    expect(admitted.length).toBeGreaterThanOrEqual(5_000 / 210);
  });
});

describe('throttleSlot keeps the average rate when jobs start late', () => {
  it('holds 5/s over a minute although every admission comes 30 ms after its slot', () => {
    const five = throttleSpacing(5);
    let state: ThrottleState = { tat: 0, tail: 0 };
    let admitted = 0;
    let now = 0;
    while (now < 60_000) {
      const decision = throttleSlot(state, now, five, true);
      state = decision.state;
      if (decision.admitted) admitted++;
      // The next job comes back 30 ms after the bucket's next slot, as a busy worker would bring it.
      now = Math.max(now + 1, state.tat - five.toleranceMs) + 30;
    }
    expect(admitted).toBeGreaterThanOrEqual(60 * 5 - 1);
    expect(admitted).toBeLessThanOrEqual(60 * 5 + 1);
  });
});

describe('hold estimate and cap line', () => {
  it('takes the longer of the average and how long a hanging endpoint has hung, within [5 ms, timeout]', () => {
    expect(holdEstimate(40, 0, 15_000)).toBe(40);
    expect(holdEstimate(40, 9_000, 15_000)).toBe(9_000);
    expect(holdEstimate(undefined, 0, 15_000)).toBe(HOLD_ESTIMATE_MIN_MS);
    expect(holdEstimate(60_000, 0, 15_000)).toBe(15_000);
  });

  it('places refused jobs hold/cap apart: a 10,000 backlog at cap 20 and 15 s spreads over 7,500 s', () => {
    let tail = 0;
    const starts: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      tail = capPlace(tail, 1_000, 15_000, 20).startAt;
      starts.push(tail);
    }
    expect(starts[0]).toBe(1_000 + 750);
    expect(starts[1]! - starts[0]!).toBe(750);
    expect(starts[9_999]).toBe(1_000 + 10_000 * 750);
  });

  it('starts the line from now once it has drained', () => {
    expect(capPlace(500, 2_000, 100, 4).startAt).toBe(2_025);
  });

  it('averages hold times with the newest weighing a fifth', () => {
    expect(holdAverage(undefined, 300)).toBe(300);
    expect(holdAverage(100, 600)).toBe(200);
  });
});

describe('effectiveEndpointCap', () => {
  it('is the cap in full for an endpoint with no history yet', () => {
    expect(effectiveEndpointCap(20, undefined, false)).toBe(20);
  });

  it('is the cap in full for an endpoint at or above the reference hold, however slow', () => {
    expect(effectiveEndpointCap(20, 250, false)).toBe(20);
    expect(effectiveEndpointCap(20, 15_000, true)).toBe(20);
  });

  it('grows in proportion for a fast endpoint', () => {
    expect(effectiveEndpointCap(20, 50, false)).toBe(100);
    expect(effectiveEndpointCap(20, 1, false)).toBe(1000);
  });

  it('falls back to the cap for an endpoint that hangs', () => {
    expect(effectiveEndpointCap(20, 10, true)).toBe(20);
  });

  it('leaves no cap as no cap', () => {
    expect(effectiveEndpointCap(0, 10, false)).toBe(0);
  });
});

describe('isHanging', () => {
  it('is an attempt in flight for a second with no answer from the receiver for as long', () => {
    expect(isHanging(1_000, undefined)).toBe(true);
    expect(isHanging(1_500, 1_000)).toBe(true);
  });

  it('is not our own slowness: an old attempt while the receiver keeps answering', () => {
    expect(isHanging(5_000, 20)).toBe(false);
    expect(isHanging(900, undefined)).toBe(false);
  });
});
