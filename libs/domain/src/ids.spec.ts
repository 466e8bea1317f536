import { ulid } from 'ulid';
import { idFloor, idTime, isId, newId } from './ids';
import { parseDuration, parseDurationList } from './durations';

describe('ids', () => {
  it('are prefixed and sort by creation time, even within one millisecond', () => {
    const ids = Array.from({ length: 50 }, () => newId('message', 1_700_000_000_000));
    expect(ids.every((id) => isId('message', id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    const earlier = newId('application', 1_800_000_000_000);
    expect(newId('application', 1_800_000_000_001) > earlier).toBe(true);
    // A clock that steps back never produces an id that sorts before one already issued.
    expect(newId('application', 1_700_000_000_000) > earlier).toBe(true);
    expect(newId('attempt')).toMatch(/^atmpt_[0-9A-Z]{26}$/);
  });

  it('recognise only their own kind and shape', () => {
    expect(isId('application', newId('application'))).toBe(true);
    expect(isId('application', newId('endpoint'))).toBe(false);
    expect(isId('application', 'app_not-a-ulid')).toBe(false);
  });
});

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['250', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['5d', 432_000_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([['5 weeks'], ['-5s'], ['s'], ['']])('%p is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads comma-separated lists and refuses one bad item', () => {
    expect(parseDurationList('5s, 5m,30m')).toEqual([5000, 300_000, 1_800_000]);
    expect(parseDurationList('')).toEqual([]);
    expect(parseDurationList('5s,,5m')).toBeUndefined();
  });
});

describe('id time', () => {
  it('reads the millisecond an id was made, and orders ids made earlier below the floor of a later one', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    // ulid() itself, not newId: newId is monotonic, so after a later id it never goes back in time.
    const id = `msg_${ulid(at)}`;
    expect(idTime(id)).toBe(at);
    expect(idFloor('message', at) <= id).toBe(true);
    expect(id < idFloor('message', at + 1)).toBe(true);
    expect(`msg_${ulid(at - 1)}` < idFloor('message', at)).toBe(true);
    expect(isId('message', idFloor('message', at))).toBe(true);
  });
});
