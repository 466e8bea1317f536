/**
 * Svix-style cursor pagination: `limit` (1–250), `iterator` and `order` in, `{data, iterator, prevIterator,
 * done}` out. Ids are time-sortable, so the iterator is simply an id: the last one of the page to go on,
 * or the first one prefixed with `-` to go back.
 */
export type ListOrder = 'ascending' | 'descending';

export interface PageQuery {
  limit: number;
  iterator?: string | null;
  order?: ListOrder;
}

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 250;

/** How a repository should query: ids past the cursor in `order`, `take` rows. */
export interface PageWindow {
  cursor?: string;
  order: 'asc' | 'desc';
  take: number;
  /** Walking back from a `-` iterator: rows come in reverse and `toPage` turns them around. */
  backwards: boolean;
}

export function pageWindow(query: PageQuery): PageWindow {
  const base = query.order === 'descending' ? 'desc' : 'asc';
  const it = query.iterator ?? undefined;
  const backwards = it?.startsWith('-') ?? false;
  const order = backwards ? (base === 'asc' ? 'desc' : 'asc') : base;
  return { cursor: backwards ? it?.slice(1) : it, order, take: query.limit + 1, backwards };
}

/** Builds the page from up to `take` (= limit + 1) rows fetched as `pageWindow` said. */
export function toPage<T extends { id: string }>(rows: T[], query: PageQuery, window: PageWindow): Page<T> {
  const more = rows.length > query.limit;
  const data = rows.slice(0, query.limit);
  if (window.backwards) data.reverse();
  const first = data[0];
  const last = data[data.length - 1];
  if (window.backwards) {
    return {
      data,
      iterator: last ? last.id : (window.cursor ?? null),
      prevIterator: more && first ? `-${first.id}` : null,
      done: false,
    };
  }
  return {
    data,
    iterator: last ? last.id : (window.cursor ?? null),
    prevIterator: first ? `-${first.id}` : null,
    done: !more,
  };
}

export function mapPage<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  return { ...page, data: page.data.map(map) };
}

/** Prisma `where` fragment for the window's cursor. */
export function idRange(window: PageWindow): { id?: { gt: string } | { lt: string } } {
  if (!window.cursor) return {};
  return { id: window.order === 'asc' ? { gt: window.cursor } : { lt: window.cursor } };
}
