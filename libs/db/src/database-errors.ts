/** Socket-level failures of a connection to PostgreSQL. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * SQLSTATEs that say the server cannot take work now, not that the statement is wrong: class 08 (connection
 * exception), 57P01–57P03 (shutting down, crashed, starting up), 53300 (too many connections), 57014 (the
 * statement timeout cancelled it: the server is overloaded or a lock is held).
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300' ||
    code === '57014'
  );
}

/** What pg and Prisma's driver adapter say when the server went away or cannot be reached in time. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is closed/i,
  /Client has encountered a connection error/i,
  /the database system is (shutting down|starting up|in recovery mode)/i,
  /Can't reach database server/i,
];

/**
 * True when an error means PostgreSQL is down or unreachable (the request may succeed later), as opposed to
 * a statement PostgreSQL refused. The API answers these with 503 and Retry-After; the worker waits and retries.
 * Looks through `cause` chains, because pg errors reach us wrapped by Prisma's driver adapter.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someInCauseChain(error, (codes, message) => {
    for (const code of codes) {
      if (NETWORK_CODES.has(code) || isUnavailableSqlState(code)) return true;
      // Prisma: P1001 can't reach the server, P1017 the server closed the connection.
      if (code === 'P1001' || code === 'P1017') return true;
    }
    return message !== undefined && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/**
 * Walks an error and what it wraps (`cause`, and Prisma's raw-query errors, P2010, which carry the driver's
 * error in `meta.driverAdapterError`), at most 5 deep, asking `test` about each one's codes (`code`,
 * `originalCode`: the strings among them) and message.
 */
function someInCauseChain(
  error: unknown,
  test: (codes: string[], message: string | undefined) => boolean,
): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message, cause, originalCode, meta } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      originalCode?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    const codes = [code, originalCode].filter((c): c is string => typeof c === 'string');
    if (test(codes, typeof message === 'string' ? message : undefined)) return true;
    current = cause ?? meta?.driverAdapterError;
  }
  return false;
}

/**
 * True for errors worth trying again as they are: the database unreachable, or a transaction that lost a
 * race (deadlock detected, serialization failure) and was rolled back.
 */
export function isRetryableDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return isDatabaseUnavailable(error) || code === '40P01' || code === '40001';
}

/**
 * SQLSTATEs of text PostgreSQL cannot store: 22021 (a NUL byte in a text value: "invalid byte sequence for
 * encoding UTF8: 0x00") and 22P05 (`\u0000` in a jsonb value: "unsupported Unicode escape sequence").
 */
const UNSTORABLE_TEXT_CODES = new Set(['22021', '22P05']);
const UNSTORABLE_TEXT_MESSAGES = [
  /invalid byte sequence for encoding/i,
  /unsupported Unicode escape sequence/i,
];

/**
 * True when PostgreSQL refused a statement because a value sent to it holds text it cannot store (the NUL
 * character). That is the client's input, not a fault of ours: the API answers 422. Looks through `cause`
 * chains, as `isDatabaseUnavailable` does.
 */
export function isUnstorableText(error: unknown): boolean {
  return someInCauseChain(
    error,
    (codes, message) =>
      codes.some((code) => UNSTORABLE_TEXT_CODES.has(code)) ||
      (message !== undefined && UNSTORABLE_TEXT_MESSAGES.some((pattern) => pattern.test(message))),
  );
}
