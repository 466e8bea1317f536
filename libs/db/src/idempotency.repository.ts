import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** What identifies the request a key was first used for. */
export interface IdempotentRequest {
  /** Method and URL (path and query as sent), e.g. `POST /api/v1/app`. */
  route: string;
  /** SHA-256 (hex) of the raw request body. */
  requestHash: string;
}

export interface StoredResponse {
  status: number;
  /** The JSON body as sent, or null for a response without a body. */
  body: string | null;
}

/**
 * The outcome of trying to reserve a key:
 * - `reserved`: the caller owns the key and runs the handler; `reservedAt` proves ownership later;
 * - `existing`: a live entry holds the key; `response` is null while its first request is still in flight.
 */
export type IdempotencyClaim =
  | { outcome: 'reserved'; reservedAt: Date }
  | { outcome: 'existing'; request: IdempotentRequest; response: StoredResponse | null };

interface ExistingRow {
  route: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
}

/** A reservation that keeps losing a race with a release or an expiry gives up as "in flight". */
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * `Idempotency-Key` entries, one per (tenant, key). All times come from the database clock, so API
 * instances with skewed clocks agree on what has expired. An entry whose `expires_at` has passed is
 * treated as absent and overwritten in place.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Reserves the key for this request (one INSERT; the primary key makes concurrent callers safe), or
   * reports the live entry that holds it. The reservation lives `leaseMs` until `complete` extends it.
   */
  async claim(
    tenantId: string,
    key: string,
    request: IdempotentRequest,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      const [reserved] = await this.prisma.$queryRaw<{ created_at: Date }[]>`
        INSERT INTO idempotency_keys AS k (tenant_id, key, route, request_hash, created_at, expires_at)
        VALUES (${tenantId}, ${key}, ${request.route}, ${request.requestHash}, now(),
                now() + ${leaseMs}::integer * interval '1 millisecond')
        ON CONFLICT (tenant_id, key) DO UPDATE
          SET route = excluded.route, request_hash = excluded.request_hash, response_status = NULL,
              response_body = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at
          WHERE k.expires_at < now()
        RETURNING created_at`;
      if (reserved) return { outcome: 'reserved', reservedAt: reserved.created_at };

      const [existing] = await this.prisma.$queryRaw<ExistingRow[]>`
        SELECT route, request_hash, response_status, response_body FROM idempotency_keys
        WHERE tenant_id = ${tenantId} AND key = ${key} AND expires_at >= now()`;
      // Gone between the two statements (released after a failure, or just expired): try again.
      if (!existing) continue;
      return {
        outcome: 'existing',
        request: { route: existing.route, requestHash: existing.request_hash },
        response:
          existing.response_status === null
            ? null
            : { status: existing.response_status, body: existing.response_body },
      };
    }
    return { outcome: 'existing', request, response: null };
  }

  /**
   * Stores the response of a reservation and keeps it for `ttlMs` from now (one UPDATE). Returns false
   * when the reservation is no longer this caller's (its lease ran out and another request took the key).
   */
  async complete(
    tenantId: string,
    key: string,
    reservedAt: Date,
    response: StoredResponse,
    ttlMs: number,
  ): Promise<boolean> {
    const count = await this.prisma.$executeRaw`
      UPDATE idempotency_keys
      SET response_status = ${response.status}, response_body = ${response.body},
          expires_at = now() + ${ttlMs}::integer * interval '1 millisecond'
      WHERE tenant_id = ${tenantId} AND key = ${key} AND created_at = ${reservedAt.toISOString()}::timestamptz
        AND response_status IS NULL`;
    return count > 0;
  }

  /** Frees a reservation whose request failed, so the client can retry with the same key. */
  async release(tenantId: string, key: string, reservedAt: Date): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({
      where: { tenantId, key, createdAt: reservedAt, responseStatus: null },
    });
  }

  /**
   * Deletes up to `limit` expired entries of every tenant, oldest first (for the retention job, which
   * calls it until it returns less than `limit`). Returns how many were deleted.
   */
  deleteExpired(limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE (tenant_id, key) IN (
        SELECT tenant_id, key FROM idempotency_keys
        WHERE expires_at < now()
        ORDER BY expires_at
        LIMIT ${limit}::integer
        FOR UPDATE SKIP LOCKED
      )`;
  }
}
