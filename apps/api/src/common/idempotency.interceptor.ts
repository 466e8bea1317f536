import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { from, lastValueFrom, Observable, of, switchMap } from 'rxjs';
import { IdempotencyRepository, IdempotentRequest, StoredResponse } from '@app/db';
import { DomainError, ValidationError, ValidationIssue } from '@app/domain';
import type { AuthenticatedRequest } from '../auth/auth.decorators';

/** How long a stored response is replayed for a repeated key. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a reservation blocks its key while the first request runs. A process that dies mid-request
 * frees the key after this; it must stay well above the slowest POST handler, or a slow first request
 * and its retry could both run.
 */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;
export const REPLAYED_HEADER = 'idempotent-replayed';

const KEY_HEADER = 'idempotency-key';
/** 1–256 printable ASCII characters (what Svix and the IETF draft accept; the SDK sends `auto_<uuid>`). */
const VALID_KEY = /^[\x20-\x7e]{1,256}$/;

/**
 * A key reused for another request. A 422 like every validation error, with Svix's HTTPValidationError
 * body (`detail: [{loc, msg, type}]`): the svix SDKs model every 422 that way.
 */
export class IdempotencyConflictError extends ValidationError {
  override readonly code = 'idempotency_conflict';

  constructor(issue: ValidationIssue) {
    super([issue]);
    this.name = 'IdempotencyConflictError';
  }
}

interface RawBodyRequest extends AuthenticatedRequest {
  /** Set for JSON bodies by the API's body parser (see json-body.ts). */
  rawBody?: Buffer;
}

/**
 * The stored copy of a response leaves out a `payload` that repeats the request's own (a message create
 * answers with the payload it was sent): it is stored as null and put back from the replayed request, whose
 * body bytes are the first request's (the hash says so). So the table never holds a copy of the payload,
 * which stays only in `messages`, where expunge and retention reach it. No response of the API has a null
 * `payload` of its own.
 */
function withoutEchoedPayload(value: unknown, requestBody: unknown): unknown {
  const echoed = payloadOf(value);
  const sent = payloadOf(requestBody);
  if (echoed === undefined || sent === undefined || JSON.stringify(echoed) !== JSON.stringify(sent))
    return value;
  return { ...(value as object), payload: null };
}

function withEchoedPayload(value: unknown, requestBody: unknown): unknown {
  const sent = payloadOf(requestBody);
  if (sent === undefined || typeof value !== 'object' || value === null) return value;
  return (value as { payload?: unknown }).payload === null ? { ...value, payload: sent } : value;
}

function payloadOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('payload' in value)) return undefined;
  return value.payload === null ? undefined : value.payload;
}

/**
 * `Idempotency-Key` on every tenant POST: the first 2xx response (status and JSON body) is replayed for
 * 24 h to a request with the same key, method, URL and body bytes, with `idempotent-replayed: true`.
 * Expired entries are deleted by the workers' reconciler; an echoed payload is not stored (see above).
 *
 * The key is reserved with one INSERT before the handler runs (the primary key settles races: the loser
 * gets 409 `idempotency_in_flight`) and the response stored with one UPDATE after it. A failed request
 * (any non-2xx, including validation by the pipes, which run inside the handler) frees the key again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(IdempotencyInterceptor.name);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RawBodyRequest>();
    const tenantId = request.tenantId;
    const header = request.headers[KEY_HEADER];
    if (request.method !== 'POST' || !tenantId || header === undefined) return next.handle();

    if (typeof header !== 'string' || !VALID_KEY.test(header)) {
      throw ValidationError.field(
        ['header', KEY_HEADER],
        'idempotency-key must be 1 to 256 printable ASCII characters.',
      );
    }
    const key = header;
    const reply = http.getResponse<FastifyReply>();
    const fingerprint: IdempotentRequest = {
      route: `${request.method} ${request.url}`,
      requestHash: createHash('sha256')
        .update(request.rawBody ?? '')
        .digest('hex'),
    };

    return from(this.keys.claim(tenantId, key, fingerprint, IDEMPOTENCY_LEASE_MS)).pipe(
      switchMap((claim) => {
        if (claim.outcome === 'reserved') {
          return from(this.run(next, reply, tenantId, key, claim.reservedAt, request.body, request.id));
        }
        return of(withEchoedPayload(replay(reply, fingerprint, claim.request, claim.response), request.body));
      }),
    );
  }

  private async run(
    next: CallHandler,
    reply: FastifyReply,
    tenantId: string,
    key: string,
    reservedAt: Date,
    requestBody: unknown,
    reqId: unknown,
  ): Promise<unknown> {
    let value: unknown;
    try {
      value = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      await this.release(tenantId, key, reservedAt, reqId);
      throw error;
    }
    // The status the handler settled on: Nest's default (201 for POST), @HttpCode, or what a
    // `@Res({ passthrough: true })` handler set; Nest does not change it after this point.
    const status = reply.statusCode;
    if (status < 200 || status > 299) {
      await this.release(tenantId, key, reservedAt, reqId);
      return value;
    }
    const stored = withoutEchoedPayload(value, requestBody);
    const response: StoredResponse = { status, body: stored === undefined ? null : JSON.stringify(stored) };
    try {
      const kept = await this.keys.complete(tenantId, key, reservedAt, response, IDEMPOTENCY_TTL_MS);
      if (!kept) {
        this.logger.warn({ key, reqId }, 'idempotency reservation expired before the response was stored');
      }
    } catch (error) {
      // The work is done: failing now would make the client retry it. Answer, and let the reservation
      // lapse after its lease (a retry after that runs again, as without a key).
      this.logger.error({ err: error, key, reqId }, 'could not store the idempotent response');
    }
    return value;
  }

  private async release(tenantId: string, key: string, reservedAt: Date, reqId: unknown): Promise<void> {
    try {
      await this.keys.release(tenantId, key, reservedAt);
    } catch (error) {
      // The request's own error is the one to report; the key frees itself when the lease runs out.
      this.logger.error({ err: error, key, reqId }, 'could not release the idempotency reservation');
    }
  }
}

function replay(
  reply: FastifyReply,
  request: IdempotentRequest,
  first: IdempotentRequest,
  response: StoredResponse | null,
): unknown {
  if (first.route !== request.route || first.requestHash !== request.requestHash) {
    const what = first.route !== request.route ? `on ${first.route}` : 'with a different request body';
    throw new IdempotencyConflictError({
      loc: ['header', KEY_HEADER],
      msg: `This idempotency-key was already used ${what}; use a new key for a new request.`,
      type: 'idempotency_conflict',
    });
  }
  if (!response) {
    throw DomainError.conflict(
      'idempotency_in_flight',
      'A request with this idempotency-key is still being processed; retry once it has finished.',
    );
  }
  void reply.status(response.status).header(REPLAYED_HEADER, 'true');
  return response.body === null ? undefined : JSON.parse(response.body);
}
