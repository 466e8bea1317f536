import { ConfigError, loadConfig } from './app-config';

const valid = {
  DATABASE_URL: 'postgresql://u:p@db:5432/hookrelay',
  REDIS_URL: 'redis://cache:6379',
  ADMIN_TOKEN: 'a-long-enough-admin-token',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      requestTimeoutMs: 30_000,
    });
    expect(config.database).toEqual({ connectTimeoutMs: 3_000, statementTimeoutMs: 30_000 });
    expect(config.rateLimits).toEqual({
      perSecond: 1000,
      burst: 2000,
      authFailuresPerMinute: 20,
      publicPerSecond: 10,
    });
    expect(config.delivery.retryScheduleMs).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    expect(config.delivery.timeoutMs).toBe(15_000);
    expect(config.delivery.endpointDisableAfterMs).toBe(5 * 86_400_000);
    expect(config.delivery.allowedCidrs).toEqual([]);
    expect(config.limits.maxPayloadBytes).toBe(1024 * 1024);
    expect(config.redis.prefix).toBe('{hookrelay}');
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.logLevel).toBe('info');
    expect(config.flow).toEqual({ endpointMaxInFlight: 20, tenantMaxInFlight: 100 });
    expect(config.delivery.dnsTimeoutMs).toBe(5_000);
    expect(config.delivery.dnsServers).toEqual([]);
    expect(config.worker.metricsPort).toBe(0);
    expect(config.retention).toEqual({ intervalMs: 60_000, batchSize: 500, maxBatches: 20 });
  });

  it('reads the worker metrics port and the retention loop settings', () => {
    const config = loadConfig({
      ...valid,
      WORKER_METRICS_PORT: '9464',
      WORKER_HEALTH_PORT: '8081',
      RETENTION_INTERVAL: '10s',
      RETENTION_BATCH_SIZE: '2000',
      RETENTION_MAX_BATCHES: '5',
    });
    expect(config.worker).toMatchObject({ metricsPort: 9464, healthPort: 8081 });
    expect(config.retention).toEqual({ intervalMs: 10_000, batchSize: 2000, maxBatches: 5 });
  });

  it.each([
    [{ WORKER_METRICS_PORT: '70000' }, 'WORKER_METRICS_PORT must be a whole number from 0 to 65535'],
    [{ WORKER_METRICS_PORT: '9464', WORKER_HEALTH_PORT: '9464' }, 'give the metrics listener its own port'],
    [{ RETENTION_INTERVAL: 'often' }, 'RETENTION_INTERVAL must be a duration'],
    [{ RETENTION_BATCH_SIZE: '0' }, 'RETENTION_BATCH_SIZE must be a whole number from 1 to 10000'],
    [{ RETENTION_MAX_BATCHES: '1.5' }, 'RETENTION_MAX_BATCHES must be a whole number from 1 to 10000'],
  ])('refuses %j with a sentence naming the variable', (env, message) => {
    expect(() => loadConfig({ ...valid, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...valid, ...env })).toThrow(message);
  });

  it('reads the flow-control caps (0 turns one off) and the DNS servers', () => {
    const config = loadConfig({
      ...valid,
      ENDPOINT_MAX_IN_FLIGHT: '0',
      TENANT_MAX_IN_FLIGHT: '200',
      DELIVERY_DNS_TIMEOUT_MS: '750',
      DELIVERY_DNS_SERVERS: '10.0.0.2, 127.0.0.1:5353,2001:db8::53,[::1]:53',
    });
    expect(config.flow).toEqual({ endpointMaxInFlight: 0, tenantMaxInFlight: 200 });
    expect(config.delivery.dnsTimeoutMs).toBe(750);
    expect(config.delivery.dnsServers).toEqual(['10.0.0.2', '127.0.0.1:5353', '2001:db8::53', '[::1]:53']);
  });

  it('reads durations with units, lists and numbers', () => {
    const config = loadConfig({
      ...valid,
      PORT: '9000',
      DELIVERY_RETRY_SCHEDULE: '50ms, 1s,2m',
      ENDPOINT_DISABLE_AFTER: '12h',
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8, ::1',
    });
    expect(config.http.port).toBe(9000);
    expect(config.delivery.retryScheduleMs).toEqual([50, 1000, 120_000]);
    expect(config.delivery.endpointDisableAfterMs).toBe(12 * 3_600_000);
    expect(config.delivery.allowedCidrs).toEqual(['127.0.0.0/8', '::1']);
  });

  it('derives the delivery lease from the timeout unless DELIVERY_LEASE is set, and reads the reconciler', () => {
    const defaults = loadConfig(valid);
    expect(defaults.delivery.leaseMs).toBe(30_000);
    expect(defaults.delivery.maxOpenClaims).toBe(5);
    expect(defaults.reconciler).toEqual({ intervalMs: 5_000, graceMs: 30_000 });
    const set = loadConfig({
      ...valid,
      DELIVERY_LEASE: '2m',
      RECONCILER_INTERVAL: '1s',
      RECONCILER_GRACE: '10s',
    });
    expect(set.delivery.leaseMs).toBe(120_000);
    expect(set.reconciler).toEqual({ intervalMs: 1_000, graceMs: 10_000 });
  });

  it('reads REDIS_CLUSTER, off unless set', () => {
    expect(loadConfig(valid).redis.cluster).toBe(false);
    expect(loadConfig({ ...valid, REDIS_CLUSTER: 'true', QUEUE_PREFIX: '{hr-prod}' }).redis).toEqual({
      url: valid.REDIS_URL,
      prefix: '{hr-prod}',
      cluster: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...valid, PORT: '' }).http.port).toBe(8080);
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: undefined }, /DATABASE_URL is not set/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must be a URL like postgresql:/],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }, /DATABASE_URL must be a URL/],
    ['REDIS_URL', { REDIS_URL: 'http://cache' }, /REDIS_URL must be a URL like redis:/],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 16 characters/],
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: 'c2hvcnQ=' }, /ENCRYPTION_KEY must be 32 bytes in base64/],
    ['PORT', { PORT: '70000' }, /PORT must be a whole number from 1 to 65535/],
    ['DELIVERY_RETRY_SCHEDULE', { DELIVERY_RETRY_SCHEDULE: '5s,soon' }, /DELIVERY_RETRY_SCHEDULE must be/],
    [
      'ENDPOINT_DISABLE_AFTER',
      { ENDPOINT_DISABLE_AFTER: 'forever' },
      /ENDPOINT_DISABLE_AFTER must be a duration/,
    ],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    ['REDIS_CLUSTER', { REDIS_CLUSTER: 'yes' }, /REDIS_CLUSTER must be true or false/],
    [
      'QUEUE_PREFIX',
      { REDIS_CLUSTER: 'true', QUEUE_PREFIX: 'hookrelay' },
      /QUEUE_PREFIX must contain a hash tag such as \{hookrelay\} when REDIS_CLUSTER is true/,
    ],
    [
      'ENDPOINT_MAX_IN_FLIGHT',
      { ENDPOINT_MAX_IN_FLIGHT: '-1' },
      /ENDPOINT_MAX_IN_FLIGHT must be a whole number from 0 to 100000/,
    ],
    ['TENANT_MAX_IN_FLIGHT', { TENANT_MAX_IN_FLIGHT: '2.5' }, /TENANT_MAX_IN_FLIGHT must be a whole number/],
    [
      'DELIVERY_DNS_SERVERS',
      { DELIVERY_DNS_SERVERS: '10.0.0.2,dns.example.com' },
      /DELIVERY_DNS_SERVERS has "dns.example.com"/,
    ],
    [
      'DELIVERY_ALLOWED_CIDRS',
      { DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8,localhost' },
      /DELIVERY_ALLOWED_CIDRS has "localhost"/,
    ],
  ])('refuses a bad %s with one sentence naming it', (_, override, message) => {
    const attempt = () => loadConfig({ ...valid, ...override });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toMatch(/^Invalid configuration: .*\.$/);
    }
  });
});

describe('PORTAL_FRAME_ANCESTORS', () => {
  it('lets any site embed the portal by default: the token, not the frame, is the credential', () => {
    expect(loadConfig(valid).portal.frameAncestors).toEqual(['*']);
  });

  it('reads a list of origins separated by spaces or commas', () => {
    const config = loadConfig({
      ...valid,
      PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com, https://*.example.org http://localhost:3000",
    });
    expect(config.portal.frameAncestors).toEqual([
      "'self'",
      'https://app.example.com',
      'https://*.example.org',
      'http://localhost:3000',
    ]);
  });

  it('refuses what is not a frame source, naming it', () => {
    expect(() =>
      loadConfig({ ...valid, PORTAL_FRAME_ANCESTORS: 'https://ok.example; script-src *' }),
    ).toThrow(/PORTAL_FRAME_ANCESTORS has "https:\/\/ok.example;"/);
    expect(() => loadConfig({ ...valid, PORTAL_FRAME_ANCESTORS: "'none' https://a.example" })).toThrow(
      ConfigError,
    );
  });
});

describe('ADMIN_LISTEN', () => {
  it('serves the operator routes on the public listener unless told otherwise', () => {
    expect(loadConfig(valid).adminListen).toEqual({ kind: 'same' });
  });

  it.each([
    ['same', { kind: 'same' }],
    ['off', { kind: 'off' }],
    ['OFF', { kind: 'off' }],
    ['9090', { kind: 'separate', host: '127.0.0.1', port: 9090 }],
    ['0.0.0.0:9090', { kind: 'separate', host: '0.0.0.0', port: 9090 }],
    ['[::1]:9090', { kind: 'separate', host: '::1', port: 9090 }],
    ['admin.internal:9090', { kind: 'separate', host: 'admin.internal', port: 9090 }],
  ])('reads %s', (text, expected) => {
    expect(loadConfig({ ...valid, ADMIN_LISTEN: text }).adminListen).toEqual(expected);
  });

  it.each(['on', '0', '65536', '::1:9090', '[127.0.0.1]:9090', 'host:', ':9090', 'a b:9090'])(
    'refuses %s, naming the variable and the accepted forms',
    (text) => {
      expect(() => loadConfig({ ...valid, ADMIN_LISTEN: text })).toThrow(ConfigError);
      expect(() => loadConfig({ ...valid, ADMIN_LISTEN: text })).toThrow(
        /ADMIN_LISTEN must be same, off, a port/,
      );
    },
  );
});

describe('TRUST_PROXY', () => {
  it('believes X-Forwarded-For only from loopback and private ranges by default', () => {
    expect(loadConfig(valid).trustProxy).toEqual(['loopback', 'linklocal', 'uniquelocal']);
  });

  it.each([
    ['all', true],
    ['none', false],
    ['2', 2],
    ['10.0.0.0/8, 192.0.2.7', ['10.0.0.0/8', '192.0.2.7']],
    ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
  ])('reads %s', (text, expected) => {
    expect(loadConfig({ ...valid, TRUST_PROXY: text }).trustProxy).toEqual(expected);
  });

  it.each(['yes', '10.0.0.0/33', 'proxy.internal', '1,,2'])('refuses %s, naming it', (text) => {
    expect(() => loadConfig({ ...valid, TRUST_PROXY: text })).toThrow(/TRUST_PROXY has "/);
  });
});

describe('encryption keys', () => {
  const keyA = Buffer.alloc(32, 1).toString('base64');
  const keyB = Buffer.alloc(32, 2).toString('base64');
  const keyC = Buffer.alloc(32, 3).toString('base64');

  it('is version 1 with no previous keys by default, and re-seals every 10 minutes', () => {
    const config = loadConfig(valid);
    expect(config.encryptionKeys).toEqual([{ version: 1, key: config.encryptionKey }]);
    expect(config.secretReseal).toEqual({ intervalMs: 600_000 });
  });

  it('lists the current key first, then the previous ones with their versions', () => {
    const config = loadConfig({
      ...valid,
      ENCRYPTION_KEY: keyC,
      ENCRYPTION_KEY_VERSION: '3',
      ENCRYPTION_KEY_PREVIOUS: ` 2:${keyB}, 1:${keyA} `,
      SECRET_RESEAL_INTERVAL: '30s',
    });
    expect(config.encryptionKey.toString('base64')).toBe(keyC);
    expect(config.encryptionKeys.map((k) => [k.version, k.key.toString('base64')])).toEqual([
      [3, keyC],
      [2, keyB],
      [1, keyA],
    ]);
    expect(config.secretReseal.intervalMs).toBe(30_000);
  });

  it.each([
    [
      { ENCRYPTION_KEY_PREVIOUS: keyA },
      /ENCRYPTION_KEY_PREVIOUS entry 1 is not <version>:<base64 of 32 bytes>/,
    ],
    [{ ENCRYPTION_KEY_PREVIOUS: `1:${keyA},2:c2hvcnQ=` }, /ENCRYPTION_KEY_PREVIOUS entry 2 is not/],
    [{ ENCRYPTION_KEY_PREVIOUS: `0:${keyA}` }, /ENCRYPTION_KEY_PREVIOUS entry 1 is not/],
    [
      { ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_KEY_PREVIOUS: `1:${keyA},1:${keyB}` },
      /lists version 1 twice/,
    ],
    [{ ENCRYPTION_KEY_PREVIOUS: `1:${keyA}` }, /lists version 1, which is ENCRYPTION_KEY_VERSION/],
    [
      { ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_KEY_PREVIOUS: `1:${valid.ENCRYPTION_KEY}` },
      /lists the current ENCRYPTION_KEY \(as version 1\); a rotation needs a new key/,
    ],
    [{ ENCRYPTION_KEY_VERSION: '0' }, /ENCRYPTION_KEY_VERSION must be a whole number from 1 to 999999999/],
    [{ SECRET_RESEAL_INTERVAL: 'hourly' }, /SECRET_RESEAL_INTERVAL must be a duration/],
  ])('refuses %j with one sentence that never shows a key', (env, message) => {
    const attempt = () => loadConfig({ ...valid, ...env });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      for (const key of [keyA, keyB, valid.ENCRYPTION_KEY])
        expect((error as Error).message).not.toContain(key);
    }
  });
});

describe('DELIVERY_TEST_CA_FILE', () => {
  it('is kept for tests and local development', () => {
    expect(loadConfig(valid).delivery.testCaFile).toBeUndefined();
    for (const env of ['test', 'development']) {
      const config = loadConfig({ ...valid, NODE_ENV: env, DELIVERY_TEST_CA_FILE: '/tmp/ca.pem' });
      expect(config.delivery.testCaFile).toBe('/tmp/ca.pem');
    }
  });

  it('is refused in production, where only the public CAs may vouch for a receiver', () => {
    const attempt = () =>
      loadConfig({ ...valid, NODE_ENV: 'production', DELIVERY_TEST_CA_FILE: '/tmp/ca.pem' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'Invalid configuration: DELIVERY_TEST_CA_FILE is for tests and local development and is refused when NODE_ENV is production.',
    );
  });
});
