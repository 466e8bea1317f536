import { pageWindow, toPage } from './pagination';

const rows = (...ids: string[]) => ids.map((id) => ({ id }));

describe('cursor pagination', () => {
  it('first page: ascending, iterator is the last id, done when no extra row came back', () => {
    const query = { limit: 2 };
    const window = pageWindow(query);
    expect(window).toEqual({ cursor: undefined, order: 'asc', take: 3, backwards: false });
    expect(toPage(rows('a', 'b', 'c'), query, window)).toEqual({
      data: rows('a', 'b'),
      iterator: 'b',
      prevIterator: '-a',
      done: false,
    });
    expect(toPage(rows('a', 'b'), query, window).done).toBe(true);
  });

  it('walks back with a "-" iterator and returns rows in ascending order', () => {
    const query = { limit: 2, iterator: '-d' };
    const window = pageWindow(query);
    expect(window).toEqual({ cursor: 'd', order: 'desc', take: 3, backwards: true });
    expect(toPage(rows('c', 'b', 'a'), query, window)).toEqual({
      data: rows('b', 'c'),
      iterator: 'c',
      prevIterator: '-b',
      done: false,
    });
    expect(toPage(rows('c', 'b'), query, window).prevIterator).toBeNull();
  });

  it('descending order goes forward to smaller ids and back to larger ones', () => {
    expect(pageWindow({ limit: 5, order: 'descending', iterator: 'm' })).toMatchObject({
      cursor: 'm',
      order: 'desc',
    });
    expect(pageWindow({ limit: 5, order: 'descending', iterator: '-m' })).toMatchObject({
      cursor: 'm',
      order: 'asc',
      backwards: true,
    });
  });

  it('an empty page keeps the cursor so a poller can continue from it', () => {
    const query = { limit: 10, iterator: 'z' };
    expect(toPage([], query, pageWindow(query))).toEqual({
      data: [],
      iterator: 'z',
      prevIterator: null,
      done: true,
    });
  });
});
