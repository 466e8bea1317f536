import { isDatabaseUnavailable, isUnstorableText } from './database-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    [
      'a statement the statement timeout cancelled (57014)',
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    ],
    ['a connection exception (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients'), { code: '53300' })],
    ['a pool that timed out', new Error('timeout exceeded when trying to connect')],
    ['a connection that died mid-query', new Error('Connection terminated unexpectedly')],
    ['Prisma P1001', Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
    [
      'a pg error wrapped by the driver adapter',
      Object.assign(new Error('DriverAdapterError'), {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
    ],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['invalid text (a NUL byte)', Object.assign(new Error('invalid byte sequence'), { code: '22021' })],
    ['a syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['a plain error', new Error('boom')],
    ['not an error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isUnstorableText', () => {
  it.each([
    [
      'a NUL byte in a text value (22021)',
      Object.assign(new Error('invalid byte sequence'), { code: '22021' }),
    ],
    ['\\u0000 in a jsonb value (22P05)', Object.assign(new Error('unsupported'), { code: '22P05' })],
    [
      "Prisma's driver adapter error around it",
      Object.assign(new Error('DriverAdapterError'), {
        cause: { originalCode: '22021', originalMessage: 'invalid byte sequence for encoding "UTF8": 0x00' },
      }),
    ],
    ['only the message', new Error('invalid byte sequence for encoding "UTF8": 0x00')],
  ])('is true for %s', (_, error) => {
    expect(isUnstorableText(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a plain error', new Error('boom')],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isUnstorableText(error)).toBe(false);
  });
});
