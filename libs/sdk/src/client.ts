/**
 * A typed client for Hookrelay's own API: the operator API (`/admin/v1`) and the tenant routes the CLI and
 * tools need. The Svix-compatible routes are also reachable with the official `svix` SDK; this client covers
 * what it does not (tenants, API keys, settings) and the dashboard routes (dead letters, background tasks,
 * statistics, search).
 *
 * The types are written by hand and kept honest by a test (client.int-spec.ts) that reads the API's OpenAPI
 * document (`/docs-json`): every route in ROUTES must exist with its method, and every *_FIELDS list below
 * must equal the documented properties of its response. Nothing generated is committed; nothing needs a
 * generator at build time.
 */

export const ROUTES = {
  createTenant: ['POST', '/admin/v1/tenants'],
  listTenants: ['GET', '/admin/v1/tenants'],
  getTenant: ['GET', '/admin/v1/tenants/{tenantId}'],
  deleteTenant: ['DELETE', '/admin/v1/tenants/{tenantId}'],
  getTenantSettings: ['GET', '/admin/v1/tenants/{tenantId}/settings'],
  updateTenantSettings: ['PATCH', '/admin/v1/tenants/{tenantId}/settings'],
  createApiKey: ['POST', '/admin/v1/tenants/{tenantId}/api-keys'],
  listApiKeys: ['GET', '/admin/v1/tenants/{tenantId}/api-keys'],
  revokeApiKey: ['DELETE', '/admin/v1/tenants/{tenantId}/api-keys/{keyId}'],
  listApplications: ['GET', '/api/v1/app'],
  createApplication: ['POST', '/api/v1/app'],
  getApplication: ['GET', '/api/v1/app/{appId}'],
  deleteApplication: ['DELETE', '/api/v1/app/{appId}'],
  listEndpoints: ['GET', '/api/v1/app/{appId}/endpoint'],
  createEndpoint: ['POST', '/api/v1/app/{appId}/endpoint'],
  getEndpoint: ['GET', '/api/v1/app/{appId}/endpoint/{endpointId}'],
  deleteEndpoint: ['DELETE', '/api/v1/app/{appId}/endpoint/{endpointId}'],
  getEndpointSecret: ['GET', '/api/v1/app/{appId}/endpoint/{endpointId}/secret'],
  listEventTypes: ['GET', '/api/v1/event-type'],
  createEventType: ['POST', '/api/v1/event-type'],
  createMessage: ['POST', '/api/v1/app/{appId}/msg'],
  listMessages: ['GET', '/api/v1/app/{appId}/msg'],
  listAttemptsByEndpoint: ['GET', '/api/v1/app/{appId}/attempt/endpoint/{endpointId}'],
  appPortalAccess: ['POST', '/api/v1/auth/app-portal-access/{appId}'],
  expireAllPortalTokens: ['POST', '/api/v1/auth/app/{appId}/expire-all'],
  listBackgroundTasks: ['GET', '/api/v1/background-task'],
  getBackgroundTask: ['GET', '/api/v1/background-task/{taskId}'],
  listDeadLetters: ['GET', '/api/v1/dead-letter'],
  redriveDeadLetters: ['POST', '/api/v1/dead-letter/redrive'],
  deliveryStats: ['GET', '/api/v1/stats/delivery'],
  searchMessages: ['GET', '/api/v1/search/message'],
} as const satisfies Record<string, readonly [Method, string]>;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type RouteName = keyof typeof ROUTES;

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export interface PageOptions {
  limit?: number;
  iterator?: string;
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}
export const TENANT_FIELDS = ['id', 'name', 'createdAt'] as const satisfies readonly (keyof Tenant)[];

export interface TenantCreated extends Tenant {
  /** The tenant's first API key, shown only here. */
  apiKey: string;
}
export const TENANT_CREATED_FIELDS = [
  ...TENANT_FIELDS,
  'apiKey',
] as const satisfies readonly (keyof TenantCreated)[];

export interface TenantSettings {
  rejectUnknownEventTypes: boolean;
  /** Days messages, deliveries and attempts are kept before the retention job deletes them (default 30). */
  retentionDays: number;
  requireEndpointVerification: boolean;
  /** API requests per second for this tenant; null: the server's RATE_LIMIT_PER_SECOND. */
  rateLimitPerSecond: number | null;
}
export const TENANT_SETTINGS_FIELDS = [
  'rejectUnknownEventTypes',
  'retentionDays',
  'requireEndpointVerification',
  'rateLimitPerSecond',
] as const satisfies readonly (keyof TenantSettings)[];

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it. */
  prefix: string;
  createdAt: string;
}
export const API_KEY_FIELDS = [
  'id',
  'name',
  'prefix',
  'createdAt',
] as const satisfies readonly (keyof ApiKey)[];

export interface ApiKeyCreated extends ApiKey {
  /** The key itself, shown only here. */
  key: string;
}
export const API_KEY_CREATED_FIELDS = [
  ...API_KEY_FIELDS,
  'key',
] as const satisfies readonly (keyof ApiKeyCreated)[];

export interface Application {
  id: string;
  uid: string | null;
  name: string;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface Endpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  eventTypes: string[] | null;
  createdAt: string;
  updatedAt: string;
}

export interface EventType {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
}

export interface Message {
  id: string;
  eventType: string;
  eventId: string | null;
  payload: unknown;
  timestamp: string;
}

export interface MessageAttempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  statusText: 'success' | 'pending' | 'fail' | 'sending' | 'canceled';
  triggerType: number;
  timestamp: string;
  msg?: Message;
}

export interface PortalAccess {
  url: string;
  token: string;
}
export const PORTAL_ACCESS_FIELDS = ['url', 'token'] as const satisfies readonly (keyof PortalAccess)[];

export interface BackgroundTask {
  id: string;
  status: 'running' | 'finished' | 'failed';
  task: 'endpoint.recover' | 'endpoint.replay' | 'dead-letter.redrive';
  updatedAt: string;
  /** `messagesSent` (recover, replay) or `total`, `processed`, `redriven` (redrive). */
  data: Record<string, number>;
}
export const BACKGROUND_TASK_FIELDS = [
  'id',
  'status',
  'task',
  'updatedAt',
  'data',
] as const satisfies readonly (keyof BackgroundTask)[];

export interface DeadLetter {
  /** The failed delivery. */
  id: string;
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUrl: string;
  msgId: string;
  eventType: string;
  eventId: string | null;
  attempts: number;
  /** 0: no HTTP response. */
  lastResponseStatusCode: number | null;
  lastErrorKind: string | null;
  createdAt: string;
  failedAt: string;
}
export const DEAD_LETTER_FIELDS = [
  'id',
  'appId',
  'appUid',
  'endpointId',
  'endpointUrl',
  'msgId',
  'eventType',
  'eventId',
  'attempts',
  'lastResponseStatusCode',
  'lastErrorKind',
  'createdAt',
  'failedAt',
] as const satisfies readonly (keyof DeadLetter)[];

/** Which dead letters (names are ids or uids; `endpoint` needs `application`). Times are ISO 8601. */
export interface DeadLetterFilter {
  application?: string;
  endpoint?: string;
  eventTypes?: string[];
  since?: string;
  until?: string;
  /** 0 (no response), 100, 200, 300, 400 or 500. */
  statusCodeClass?: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface DeliveryStats {
  since: string;
  until: string;
  interval: 'minute' | 'hour' | 'day';
  buckets: (Percentiles & { start: string; success: number; fail: number })[];
  totals: Percentiles & { success: number; fail: number };
  timeToFirstAttempt: Percentiles;
  queueLagMs: number;
}
export const DELIVERY_STATS_FIELDS = [
  'since',
  'until',
  'interval',
  'buckets',
  'totals',
  'timeToFirstAttempt',
  'queueLagMs',
] as const satisfies readonly (keyof DeliveryStats)[];

export interface FoundMessage {
  id: string;
  appId: string;
  appUid: string | null;
  eventType: string;
  eventId: string | null;
  channels: string[] | null;
  tags: string[] | null;
  timestamp: string;
}

/** A refusal from the API: its HTTP status and Hookrelay's stable `code` and `detail`. */
export class HookrelayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: unknown,
    readonly body: unknown,
  ) {
    super(`${status} ${code}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    this.name = 'HookrelayError';
  }
}

export interface ClientOptions {
  /** Where Hookrelay runs, e.g. `https://hooks.example.com` (no trailing slash needed). */
  serverUrl: string;
  /** The operator token (admin API) or a tenant API key. */
  token: string;
  /** A fetch implementation (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

/** The transport every client shares: JSON in and out, bearer token, errors as HookrelayError. */
export class HookrelayTransport {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.base = options.serverUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async call<T>(
    route: RouteName,
    params: Record<string, string> = {},
    init: { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {},
  ): Promise<T> {
    const [method, template] = ROUTES[route];
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new TypeError(`${route} needs ${name}`);
      return encodeURIComponent(value);
    });
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const response = await this.fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    if (!response.ok) {
      const object = (typeof body === 'object' && body !== null ? body : {}) as {
        code?: unknown;
        detail?: unknown;
      };
      throw new HookrelayError(
        response.status,
        typeof object.code === 'string' ? object.code : `http_${response.status}`,
        object.detail ?? text,
        body,
      );
    }
    return body as T;
  }
}

const page = (options: PageOptions = {}) => ({ query: { limit: options.limit, iterator: options.iterator } });

/** The operator API (`/admin/v1`), with ADMIN_TOKEN. */
export class HookrelayAdmin {
  private readonly http: HookrelayTransport;

  constructor(options: ClientOptions) {
    this.http = new HookrelayTransport(options);
  }

  readonly tenants = {
    create: (input: { name: string }) => this.http.call<TenantCreated>('createTenant', {}, { body: input }),
    list: (options?: PageOptions) => this.http.call<Page<Tenant>>('listTenants', {}, page(options)),
    get: (tenantId: string) => this.http.call<Tenant>('getTenant', { tenantId }),
    delete: (tenantId: string) => this.http.call<void>('deleteTenant', { tenantId }),
    settings: (tenantId: string) => this.http.call<TenantSettings>('getTenantSettings', { tenantId }),
    updateSettings: (tenantId: string, input: Partial<TenantSettings>) =>
      this.http.call<TenantSettings>('updateTenantSettings', { tenantId }, { body: input }),
  };

  readonly apiKeys = {
    create: (tenantId: string, input: { name?: string } = {}) =>
      this.http.call<ApiKeyCreated>('createApiKey', { tenantId }, { body: input }),
    list: (tenantId: string, options?: PageOptions) =>
      this.http.call<Page<ApiKey>>('listApiKeys', { tenantId }, page(options)),
    revoke: (tenantId: string, keyId: string) => this.http.call<void>('revokeApiKey', { tenantId, keyId }),
  };
}

/** A tenant's routes that tools need most, with a tenant API key. */
export class HookrelayClient {
  private readonly http: HookrelayTransport;

  constructor(options: ClientOptions) {
    this.http = new HookrelayTransport(options);
  }

  readonly applications = {
    list: (options?: PageOptions) => this.http.call<Page<Application>>('listApplications', {}, page(options)),
    create: (input: { name: string; uid?: string; metadata?: Record<string, string> }) =>
      this.http.call<Application>('createApplication', {}, { body: input }),
    get: (appId: string) => this.http.call<Application>('getApplication', { appId }),
    delete: (appId: string) => this.http.call<void>('deleteApplication', { appId }),
  };

  readonly endpoints = {
    list: (appId: string, options?: PageOptions) =>
      this.http.call<Page<Endpoint>>('listEndpoints', { appId }, page(options)),
    create: (
      appId: string,
      input: {
        url: string;
        description?: string;
        eventTypes?: string[] | null;
        uid?: string;
        metadata?: Record<string, string>;
      },
    ) => this.http.call<Endpoint>('createEndpoint', { appId }, { body: input }),
    get: (appId: string, endpointId: string) =>
      this.http.call<Endpoint>('getEndpoint', { appId, endpointId }),
    delete: (appId: string, endpointId: string) =>
      this.http.call<void>('deleteEndpoint', { appId, endpointId }),
    secret: (appId: string, endpointId: string) =>
      this.http.call<{ key: string }>('getEndpointSecret', { appId, endpointId }),
  };

  readonly eventTypes = {
    list: (options?: PageOptions) => this.http.call<Page<EventType>>('listEventTypes', {}, page(options)),
    create: (input: { name: string; description: string }) =>
      this.http.call<EventType>('createEventType', {}, { body: input }),
  };

  readonly messages = {
    create: (
      appId: string,
      input: { eventType: string; payload: unknown; eventId?: string; tags?: string[] },
    ) => this.http.call<Message>('createMessage', { appId }, { body: input }),
    list: (appId: string, options?: PageOptions) =>
      this.http.call<Page<Message>>('listMessages', { appId }, page(options)),
  };

  readonly attempts = {
    /** Newest first; pass `iterator` from a previous page's `prevIterator` to get only newer ones. */
    listByEndpoint: (appId: string, endpointId: string, options: PageOptions & { withMsg?: boolean } = {}) =>
      this.http.call<Page<MessageAttempt>>(
        'listAttemptsByEndpoint',
        { appId, endpointId },
        { query: { limit: options.limit, iterator: options.iterator, with_msg: options.withMsg } },
      ),
  };

  readonly portal = {
    access: (
      appId: string,
      input: { capabilities?: string[]; expiry?: number; sessionId?: string; featureFlags?: string[] } = {},
    ) => this.http.call<PortalAccess>('appPortalAccess', { appId }, { body: input }),
    expireAll: (appId: string, input: { sessionIds?: string[]; expiry?: number } = {}) =>
      this.http.call<void>('expireAllPortalTokens', { appId }, { body: input }),
  };

  /** Recover, replay-missing and dead-letter redrive tasks, newest first. */
  readonly backgroundTasks = {
    list: (options: PageOptions & { status?: BackgroundTask['status']; task?: string } = {}) =>
      this.http.call<Page<BackgroundTask>>(
        'listBackgroundTasks',
        {},
        {
          query: {
            limit: options.limit,
            iterator: options.iterator,
            status: options.status,
            task: options.task,
          },
        },
      ),
    get: (taskId: string) => this.http.call<BackgroundTask>('getBackgroundTask', { taskId }),
  };

  /** Dead letters across all applications, and their bulk redrive (a background task). */
  readonly deadLetters = {
    list: (filter: DeadLetterFilter & PageOptions = {}) =>
      this.http.call<Page<DeadLetter>>(
        'listDeadLetters',
        {},
        {
          query: {
            limit: filter.limit,
            iterator: filter.iterator,
            application: filter.application,
            endpoint: filter.endpoint,
            event_types: filter.eventTypes?.join(','),
            since: filter.since,
            until: filter.until,
            status_code_class: filter.statusCodeClass,
          },
        },
      ),
    /** 202 running, the same task for an identical submit while it runs, or a finished task of zero. */
    redrive: (input: DeadLetterFilter & { toEndpoint?: string } = {}) =>
      this.http.call<BackgroundTask>('redriveDeadLetters', {}, { body: input }),
  };

  readonly stats = {
    /** The last 24 hours by hour unless told otherwise; `endpoint` needs `application`. */
    deliveries: (
      options: {
        application?: string;
        endpoint?: string;
        since?: string;
        until?: string;
        interval?: DeliveryStats['interval'];
      } = {},
    ) => this.http.call<DeliveryStats>('deliveryStats', {}, { query: { ...options } }),
  };

  readonly search = {
    messages: (
      options: PageOptions & {
        application?: string;
        eventId?: string;
        tag?: string;
        eventTypes?: string[];
        since?: string;
        until?: string;
      } = {},
    ) =>
      this.http.call<Page<FoundMessage>>(
        'searchMessages',
        {},
        {
          query: {
            limit: options.limit,
            iterator: options.iterator,
            application: options.application,
            event_id: options.eventId,
            tag: options.tag,
            event_types: options.eventTypes?.join(','),
            since: options.since,
            until: options.until,
          },
        },
      ),
  };
}
