/**
 * The one way the web app talks to Hookrelay: JSON over fetch with a bearer token, and every failure turned
 * into an ApiError the screens can explain (401 expired link, 403 missing capability, 404, 422 fields, 5xx,
 * network). Shared by the portal and the dashboard areas.
 */

export interface FieldIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class ApiError extends Error {
  constructor(
    /** 0 when no HTTP answer arrived (offline, DNS, CORS, server down). */
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly issues: FieldIssue[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly requestId?: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  /** The message of the 422 issue about `field` (its last path element), if any. */
  fieldMessage(field: string): string | undefined {
    return this.issues.find((i) => i.loc[i.loc.length - 1] === field || i.loc.includes(field))?.msg;
  }
}

/** Where the API is: the page's <base href> is `<prefix>/web/`, and the API lives at `<prefix>/`. */
export function apiBase(): string {
  return new URL('../', document.baseURI).href.replace(/\/$/, '');
}

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly base = apiBase(),
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Could not reach the webhook service. Check your connection.');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.ok) return parsed as T;
    throw toApiError(response, parsed);
  }
}

function toApiError(response: Response, body: unknown): ApiError {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const object = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof object.code === 'string' ? object.code : `http_${response.status}`;
  if (Array.isArray(object.detail)) {
    const issues = object.detail as FieldIssue[];
    return new ApiError(
      response.status,
      code,
      issues.map((i) => i.msg).join('; ') || 'Some fields are not valid.',
      issues,
      object,
      requestId,
    );
  }
  const detail =
    typeof object.detail === 'string' && object.detail
      ? object.detail
      : response.status >= 500
        ? 'The webhook service had a problem answering.'
        : `The request failed (${response.status}).`;
  return new ApiError(response.status, code, detail, [], object, requestId);
}
