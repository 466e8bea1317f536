import { ValidationError } from './domain-error';
import { dashboardRange } from './time-range';

describe('dashboardRange', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const daysAgo = (n: number) => new Date(now.getTime() - n * 24 * 60 * 60 * 1000);

  it('covers the retention window up to now by default', () => {
    expect(dashboardRange({}, 'query', now)).toEqual({ since: daysAgo(30), until: now });
  });

  it('keeps a range inside the window', () => {
    expect(dashboardRange({ since: daysAgo(2), until: daysAgo(1) }, 'body', now)).toEqual({
      since: daysAgo(2),
      until: daysAgo(1),
    });
  });

  it.each([
    ['inverted', { since: daysAgo(1), until: daysAgo(2) }, /must be before until/],
    ['empty', { since: daysAgo(1), until: daysAgo(1) }, /must be before until/],
    ['older than retention', { since: daysAgo(31) }, /retention window of 30 days/],
  ])('refuses a range that is %s with 422 invalid_time_range', (_, input, message) => {
    let error: unknown;
    try {
      dashboardRange(input, 'query', now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 422, code: 'invalid_time_range' });
    expect((error as ValidationError).issues[0]).toMatchObject({ loc: ['query', 'since'] });
    expect((error as Error).message).toMatch(message);
  });

  it('follows a tenant retention other than 30 days', () => {
    expect(() => dashboardRange({ since: daysAgo(8) }, 'query', now, 7)).toThrow(/7 days/);
  });
});
