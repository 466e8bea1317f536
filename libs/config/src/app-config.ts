import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCidrList, parseDuration, parseDurationList } from '@app/domain';

/**
 * The only reader of `process.env`. Every variable is validated once at start-up; a bad value stops the
 * process with one sentence naming the variable (see `ConfigError`), never a stack trace.
 */

const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 500ms, 5s, 5m, 2h or 5d` });
        return z.NEVER;
      }
      return ms;
    });

const integer = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

const url = (name: string, protocols: string[], example: string) =>
  z.string({ error: `${name} is not set; expected a URL like ${example}` }).refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `${name} must be a URL like ${example}` },
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: integer('PORT', 8080, 1, 65535),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:'], 'postgresql://user:password@host:5432/db'),
  REDIS_URL: url('REDIS_URL', ['redis:', 'rediss:'], 'redis://host:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, 'QUEUE_PREFIX may contain only letters, digits, _, -, { and }')
    .default('{hookrelay}'),
  REDIS_CLUSTER: z
    .enum(['true', 'false'], { error: 'REDIS_CLUSTER must be true or false' })
    .default('false')
    .transform((text) => text === 'true'),
  ADMIN_TOKEN: z
    .string({ error: 'ADMIN_TOKEN is not set; choose a random string of at least 16 characters' })
    .min(16, 'ADMIN_TOKEN must be at least 16 characters long'),
  ENCRYPTION_KEY: z
    .string({ error: 'ENCRYPTION_KEY is not set; generate one with: openssl rand -base64 32' })
    .refine((text) => Buffer.from(text, 'base64').length === 32 && /^[A-Za-z0-9+/]+=*$/.test(text), {
      message: 'ENCRYPTION_KEY must be 32 bytes in base64 (generate one with: openssl rand -base64 32)',
    }),
  ENCRYPTION_KEY_VERSION: integer('ENCRYPTION_KEY_VERSION', 1, 1, 999_999_999),
  ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const parsed = parsePreviousKeys(text);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  SECRET_RESEAL_INTERVAL: duration('SECRET_RESEAL_INTERVAL', '10m'),
  MAX_PAYLOAD_BYTES: integer('MAX_PAYLOAD_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
  RATE_LIMIT_PER_SECOND: integer('RATE_LIMIT_PER_SECOND', 1000, 0, 1_000_000),
  RATE_LIMIT_BURST: integer('RATE_LIMIT_BURST', 2000, 1, 10_000_000),
  AUTH_FAILURES_PER_MINUTE: integer('AUTH_FAILURES_PER_MINUTE', 20, 0, 100_000),
  PUBLIC_RATE_LIMIT_PER_SECOND: integer('PUBLIC_RATE_LIMIT_PER_SECOND', 10, 0, 1_000_000),
  DATABASE_CONNECT_TIMEOUT_MS: integer('DATABASE_CONNECT_TIMEOUT_MS', 3_000, 100, 60_000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
  DELIVERY_RETRY_SCHEDULE: z
    .string()
    .default('5s,5m,30m,2h,5h,10h,10h')
    .transform((text, ctx) => {
      const list = parseDurationList(text);
      if (list === undefined || list.length > 50) {
        ctx.addIssue({
          code: 'custom',
          message:
            'DELIVERY_RETRY_SCHEDULE must be a comma-separated list of at most 50 durations, like 5s,5m,30m',
        });
        return z.NEVER;
      }
      return list;
    }),
  DELIVERY_TIMEOUT_MS: integer('DELIVERY_TIMEOUT_MS', 15_000, 100, 300_000),
  DELIVERY_ALLOWED_CIDRS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const parsed = parseCidrList(text);
      if (!parsed.ok) {
        ctx.addIssue({
          code: 'custom',
          message: `DELIVERY_ALLOWED_CIDRS has "${parsed.item}", which is not an address range (${parsed.reason}); use a list like 127.0.0.0/8,::1`,
        });
        return z.NEVER;
      }
      return parsed.cidrs.map((c) => c.text);
    }),
  DELIVERY_TEST_CA_FILE: z.string().optional(),
  DELIVERY_DNS_TIMEOUT_MS: integer('DELIVERY_DNS_TIMEOUT_MS', 5_000, 100, 60_000),
  DELIVERY_DNS_SERVERS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const servers = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = servers.find((server) => !isDnsServer(server));
      if (bad !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `DELIVERY_DNS_SERVERS has "${bad}", which is not an IP address with an optional port; use a list like 10.0.0.2,[2001:db8::53]:53`,
        });
        return z.NEVER;
      }
      return servers;
    }),
  ENDPOINT_MAX_IN_FLIGHT: integer('ENDPOINT_MAX_IN_FLIGHT', 20, 0, 100_000),
  TENANT_MAX_IN_FLIGHT: integer('TENANT_MAX_IN_FLIGHT', 100, 0, 100_000),
  ENDPOINT_DISABLE_AFTER: duration('ENDPOINT_DISABLE_AFTER', '5d'),
  ENDPOINT_VERIFICATION_TTL: duration('ENDPOINT_VERIFICATION_TTL', '24h'),
  /** Unset: DELIVERY_TIMEOUT_MS + 15 s, so a lease never ends while its attempt can still be waiting. */
  DELIVERY_LEASE: duration('DELIVERY_LEASE', '0ms'),
  DELIVERY_MAX_OPEN_CLAIMS: integer('DELIVERY_MAX_OPEN_CLAIMS', 5, 1, 100),
  RECONCILER_INTERVAL: duration('RECONCILER_INTERVAL', '5s'),
  RECONCILER_GRACE: duration('RECONCILER_GRACE', '30s'),
  BACKGROUND_TASK_BATCH: integer('BACKGROUND_TASK_BATCH', 500, 1, 10_000),
  BACKGROUND_TASK_STEPS_PER_PASS: integer('BACKGROUND_TASK_STEPS_PER_PASS', 10, 1, 1000),
  WORKER_CONCURRENCY: integer('WORKER_CONCURRENCY', 50, 1, 1000),
  WORKER_HEALTH_PORT: integer('WORKER_HEALTH_PORT', 0, 0, 65535),
  WORKER_METRICS_PORT: integer('WORKER_METRICS_PORT', 0, 0, 65535),
  RETENTION_INTERVAL: duration('RETENTION_INTERVAL', '1m'),
  RETENTION_BATCH_SIZE: integer('RETENTION_BATCH_SIZE', 500, 1, 10_000),
  RETENTION_MAX_BATCHES: integer('RETENTION_MAX_BATCHES', 20, 1, 10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .default('loopback,linklocal,uniquelocal')
    .transform((text, ctx) => {
      const trust = parseTrustProxy(text);
      if (typeof trust === 'string') {
        ctx.addIssue({
          code: 'custom',
          message: `TRUST_PROXY has "${trust}", which is not all, none, a hop count, or a list of addresses, ranges, loopback, linklocal and uniquelocal`,
        });
        return z.NEVER;
      }
      return trust;
    }),
  ADMIN_LISTEN: z
    .string()
    .default('same')
    .transform((text, ctx) => {
      const listen = parseAdminListen(text);
      if (listen === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `ADMIN_LISTEN must be same, off, a port like 9090, or host:port like 127.0.0.1:9090 or [::1]:9090 (got "${text}")`,
        });
        return z.NEVER;
      }
      return listen;
    }),
  PORTAL_FRAME_ANCESTORS: z
    .string()
    .default('*')
    .transform((text, ctx) => {
      const sources = parseFrameAncestors(text);
      if (typeof sources === 'string') {
        ctx.addIssue({
          code: 'custom',
          message: `PORTAL_FRAME_ANCESTORS has "${sources}", which is not a frame source; use a list like https://app.example.com https://*.example.com, or 'self', 'none' or *`,
        });
        return z.NEVER;
      }
      return sources;
    }),
});

export type Env = z.input<typeof envSchema>;

/**
 * Where the operator's surface is served: `/admin/v1`, the queue UI (`/admin/queues`), the API documentation
 * (`/docs`, `/docs-json`) and the API's `/metrics`. `same`: on the public listener (HOST:PORT), as before;
 * `off`: nowhere; `separate`: only on its own listener (loopback unless a host is given), never on the public one.
 */
export type AdminListen =
  { kind: 'same' } | { kind: 'off' } | { kind: 'separate'; host: string; port: number };

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  http: {
    host: string;
    port: number;
    publicUrl: string;
    /** A request (headers and body) must arrive within this; a client dripping its body is cut off (408). */
    requestTimeoutMs: number;
  };
  databaseUrl: string;
  /** Both pools (Prisma's and SqlService's): how long to wait for a connection, and for one statement (0: no limit). */
  database: { connectTimeoutMs: number; statementTimeoutMs: number };
  /** `cluster`: REDIS_URL names one node of a Redis Cluster; the client discovers the others. */
  redis: { url: string; prefix: string; cluster: boolean };
  adminToken: string;
  /** The current master key (ENCRYPTION_KEY): seals, signs portal tokens, hashes new API keys. */
  encryptionKey: Buffer;
  /**
   * Every master key by version, the current one (ENCRYPTION_KEY_VERSION) first, then ENCRYPTION_KEY_PREVIOUS:
   * what opens values sealed, tokens signed and API keys hashed before the last rotation.
   */
  encryptionKeys: { version: number; key: Buffer }[];
  /** How often a worker moves sealed values to the current key (SecretResealService). */
  secretReseal: { intervalMs: number };
  limits: { maxPayloadBytes: number };
  /**
   * API request limits, shared by every API instance through Redis (fail open without Redis). Per tenant:
   * `perSecond` sustained (0: no limit; a tenant's own setting overrides it), `burst` at once, scaled with a
   * tenant's own rate. Per source address: failed authentications per minute (0: no limit), and requests per
   * second to the unauthenticated routes that read the database (`publicPerSecond`, 0: no limit).
   */
  rateLimits: { perSecond: number; burst: number; authFailuresPerMinute: number; publicPerSecond: number };
  delivery: {
    retryScheduleMs: number[];
    timeoutMs: number;
    allowedCidrs: string[];
    /** Deadline of one DNS resolution of an endpoint's host name (c-ares, not the libuv thread pool). */
    dnsTimeoutMs: number;
    /** DNS servers to ask (`ip` or `ip:port`); empty means the system's (/etc/resolv.conf). */
    dnsServers: string[];
    /**
     * A PEM file of CA certificates the delivery client trusts besides the public ones, so tests can give a
     * receiver a certificate for a test name. Never set in production (loadConfig refuses it there).
     */
    testCaFile?: string;
    endpointDisableAfterMs: number;
    /** How long an endpoint's owner has to answer its ownership challenge (docs/verification.md). */
    verificationTtlMs: number;
    /** How long a worker holds a delivery it is sending before another may take it over. */
    leaseMs: number;
    /**
     * Claims in a row that may end without an attempt row (the worker crashed, or something failed between
     * claim and record) before the delivery is dead-lettered with an `internal_error` attempt.
     */
    maxOpenClaims: number;
  };
  /** The loop in every worker that reads PostgreSQL and puts back what Redis lost (see ReconcilerService). */
  reconciler: {
    intervalMs: number;
    /** A due delivery is re-enqueued only once it has been due this long (the queue normally has it). */
    graceMs: number;
  };
  worker: {
    concurrency: number;
    healthPort: number;
    /** Port of the worker's Prometheus listener (GET /metrics); 0: none. */
    metricsPort: number;
  };
  /**
   * The worker's retention loop (see RetentionService): every `intervalMs`, at most `maxBatches` deletes of
   * at most `batchSize` messages each (with their deliveries and attempts), so no statement is long.
   */
  retention: { intervalMs: number; batchSize: number; maxBatches: number };
  /** Background tasks (recover, replay, redrive): rows per step, steps per outbox pass before others get a turn. */
  backgroundTasks: { batchSize: number; stepsPerPass: number };
  /**
   * Attempts in flight at once, across every worker process (leases in Redis): per endpoint and per tenant.
   * 0 means no cap. A job over a cap waits as a delayed job, holding no worker slot.
   */
  flow: { endpointMaxInFlight: number; tenantMaxInFlight: number };
  logLevel: string;
  /**
   * TRUST_PROXY: whose `X-Forwarded-For` the API believes for a request's source address (the per-source
   * limit on failed authentications): `true` everyone, `false` no one (the socket's address), a number of
   * proxy hops, or the proxies' addresses and ranges (`loopback`, `linklocal`, `uniquelocal` included).
   */
  trustProxy: boolean | number | string[];
  /** ADMIN_LISTEN: where the operator's routes are served (see AdminListen). */
  adminListen: AdminListen;
  /** The consumer portal web page. */
  portal: {
    /** CSP `frame-ancestors` sources: which sites may embed the portal in an iframe. */
    frameAncestors: string[];
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A copy of the process environment, for callers (tests, tools) that build their own config from it. */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Validates an environment (the process's by default) into a typed config, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const variable = String(first?.path[0] ?? 'environment');
    const message = first?.message.includes(variable) ? first.message : `${variable}: ${first?.message}`;
    throw new ConfigError(`Invalid configuration: ${message}.`);
  }
  const e = parsed.data;
  if (e.REDIS_CLUSTER && !/\{[^{}]+\}/.test(e.QUEUE_PREFIX)) {
    // Every key of a queue (and a flow-control script's keys) must hash to one slot: a Redis Cluster
    // refuses a multi-key command across slots, so the prefix must carry a hash tag.
    throw new ConfigError(
      'Invalid configuration: QUEUE_PREFIX must contain a hash tag such as {hookrelay} when REDIS_CLUSTER is true.',
    );
  }
  if (e.WORKER_METRICS_PORT !== 0 && e.WORKER_METRICS_PORT === e.WORKER_HEALTH_PORT) {
    throw new ConfigError(
      `Invalid configuration: WORKER_METRICS_PORT and WORKER_HEALTH_PORT are both ${e.WORKER_METRICS_PORT}; give the metrics listener its own port.`,
    );
  }
  if (e.DELIVERY_TEST_CA_FILE !== undefined && e.NODE_ENV === 'production') {
    // Trusting a CA picked by whoever sets the environment is a way around TLS verification; outside tests
    // and local development, receivers need a certificate a public CA issued.
    throw new ConfigError(
      'Invalid configuration: DELIVERY_TEST_CA_FILE is for tests and local development and is refused when NODE_ENV is production.',
    );
  }
  const encryptionKey = Buffer.from(e.ENCRYPTION_KEY, 'base64');
  const clash = e.ENCRYPTION_KEY_PREVIOUS.find(
    (p) => p.version === e.ENCRYPTION_KEY_VERSION || p.key.equals(encryptionKey),
  );
  if (clash) {
    throw new ConfigError(
      clash.version === e.ENCRYPTION_KEY_VERSION
        ? `Invalid configuration: ENCRYPTION_KEY_PREVIOUS lists version ${clash.version}, which is ENCRYPTION_KEY_VERSION; give the new ENCRYPTION_KEY a version no earlier key had.`
        : `Invalid configuration: ENCRYPTION_KEY_PREVIOUS lists the current ENCRYPTION_KEY (as version ${clash.version}); a rotation needs a new key.`,
    );
  }
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl: e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    },
    databaseUrl: e.DATABASE_URL,
    database: {
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redis: { url: e.REDIS_URL, prefix: e.QUEUE_PREFIX, cluster: e.REDIS_CLUSTER },
    adminToken: e.ADMIN_TOKEN,
    encryptionKey,
    encryptionKeys: [{ version: e.ENCRYPTION_KEY_VERSION, key: encryptionKey }, ...e.ENCRYPTION_KEY_PREVIOUS],
    secretReseal: { intervalMs: Math.max(e.SECRET_RESEAL_INTERVAL, 50) },
    limits: { maxPayloadBytes: e.MAX_PAYLOAD_BYTES },
    rateLimits: {
      perSecond: e.RATE_LIMIT_PER_SECOND,
      burst: e.RATE_LIMIT_BURST,
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      publicPerSecond: e.PUBLIC_RATE_LIMIT_PER_SECOND,
    },
    delivery: {
      retryScheduleMs: e.DELIVERY_RETRY_SCHEDULE,
      timeoutMs: e.DELIVERY_TIMEOUT_MS,
      allowedCidrs: e.DELIVERY_ALLOWED_CIDRS,
      dnsTimeoutMs: e.DELIVERY_DNS_TIMEOUT_MS,
      dnsServers: e.DELIVERY_DNS_SERVERS,
      testCaFile: e.DELIVERY_TEST_CA_FILE,
      endpointDisableAfterMs: e.ENDPOINT_DISABLE_AFTER,
      verificationTtlMs: e.ENDPOINT_VERIFICATION_TTL,
      leaseMs: e.DELIVERY_LEASE > 0 ? e.DELIVERY_LEASE : e.DELIVERY_TIMEOUT_MS + 15_000,
      maxOpenClaims: e.DELIVERY_MAX_OPEN_CLAIMS,
    },
    reconciler: { intervalMs: Math.max(e.RECONCILER_INTERVAL, 50), graceMs: e.RECONCILER_GRACE },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      healthPort: e.WORKER_HEALTH_PORT,
      metricsPort: e.WORKER_METRICS_PORT,
    },
    retention: {
      intervalMs: Math.max(e.RETENTION_INTERVAL, 50),
      batchSize: e.RETENTION_BATCH_SIZE,
      maxBatches: e.RETENTION_MAX_BATCHES,
    },
    backgroundTasks: { batchSize: e.BACKGROUND_TASK_BATCH, stepsPerPass: e.BACKGROUND_TASK_STEPS_PER_PASS },
    flow: { endpointMaxInFlight: e.ENDPOINT_MAX_IN_FLIGHT, tenantMaxInFlight: e.TENANT_MAX_IN_FLIGHT },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    adminListen: e.ADMIN_LISTEN,
    portal: { frameAncestors: e.PORTAL_FRAME_ANCESTORS },
  };
}

/**
 * CSP frame-ancestors sources, separated by spaces or commas: `*`, `'self'`, `'none'` (alone), or origins
 * like `https://app.example.com`, `https://*.example.com`, `http://localhost:3000`. Returns the offending
 * item when one is not a source, so the error can name it.
 */
function parseFrameAncestors(text: string): string[] | string {
  const items = text.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) return text;
  const source = /^(\*|'self'|'none'|https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|https?:)$/;
  const bad = items.find((item) => !source.test(item));
  if (bad !== undefined) return bad;
  if (items.includes("'none'") && items.length > 1) return "'none'";
  return items;
}

/**
 * `all`, `none`, a hop count (`1`), or a comma-separated list of proxy addresses and ranges, where `loopback`,
 * `linklocal` and `uniquelocal` name the usual private ranges. Returns the offending item when one is wrong.
 */
function parseTrustProxy(text: string): boolean | number | string[] | string {
  const value = text.trim().toLowerCase();
  if (value === 'all') return true;
  if (value === 'none') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) continue;
    if (!parseCidrList(item).ok || item === '') return item;
  }
  return items;
}

/** `same`, `off`, `9090`, `127.0.0.1:9090`, `[::1]:9090` (a bare port listens on loopback only). */
function parseAdminListen(text: string): AdminListen | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'same' || value === 'off') return { kind: value };
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const host = match[1] ?? match[2] ?? '127.0.0.1';
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined && isIP(match[1]) !== 6) return undefined;
  if (match[2] !== undefined && isIP(match[2]) === 0 && !/^[a-z0-9.-]+$/.test(match[2])) return undefined;
  return { kind: 'separate', host, port };
}

/**
 * ENCRYPTION_KEY_PREVIOUS: retired master keys as `<version>:<base64 of 32 bytes>`, comma-separated (spaces
 * allowed), e.g. `1:AbC…=,2:XyZ…=`. Returns the message for the first bad entry, which names its position and
 * never echoes key material.
 */
function parsePreviousKeys(text: string): { version: number; key: Buffer }[] | string {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const keys: { version: number; key: Buffer }[] = [];
  for (const [index, entry] of entries.entries()) {
    const match = /^([1-9]\d{0,8}):([A-Za-z0-9+/]+=*)$/.exec(entry);
    const key = match ? Buffer.from(match[2]!, 'base64') : undefined;
    if (!match || key?.length !== 32) {
      return `ENCRYPTION_KEY_PREVIOUS entry ${index + 1} is not <version>:<base64 of 32 bytes>; use a list like 1:<old key>,2:<older key> with the version each key had as ENCRYPTION_KEY_VERSION`;
    }
    const version = Number(match[1]);
    if (keys.some((k) => k.version === version)) {
      return `ENCRYPTION_KEY_PREVIOUS lists version ${version} twice; each key version names one key`;
    }
    keys.push({ version, key });
  }
  return keys;
}

/** `1.2.3.4`, `1.2.3.4:53`, `2001:db8::53` or `[2001:db8::53]:53`: what c-ares's setServers accepts. */
function isDnsServer(text: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 && validPort(bracketed[2]);
  if (isIP(text) !== 0) return true;
  const withPort = /^([^:]+):(\d{1,5})$/.exec(text);
  return withPort !== null && isIP(withPort[1]!) === 4 && validPort(withPort[2]);
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** An empty variable (`FOO=`) means "not set", as in most twelve-factor tools. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}
