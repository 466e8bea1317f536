import { Injectable } from '@nestjs/common';
import { newId, PORTAL_TOKEN_MAX_EXPIRY_S, PortalRevocation } from '@app/domain';
import { SqlService } from './sql.service';
import { ReadCache } from './read-cache';

/** What a portal request needs besides the token's signature: is its application live, what is revoked. */
export interface PortalAccessState {
  /** False once the application or its tenant is deleted: its tokens stop working. */
  live: boolean;
  revocations: PortalRevocation[];
}

export interface PortalRevocationRequest {
  /** Tokens issued before this instant are refused. */
  issuedBefore: Date;
  /** From this instant on (a grace period when later than issuedBefore). */
  effectiveAt: Date;
  /** Only these sessions (expire-all with sessionIds); absent: every token of the application. */
  sessionIds?: readonly string[];
  /** Only this token (logout). */
  tokenId?: string;
}

interface RevocationRow {
  sessionId: string | null;
  tokenId: string | null;
  issuedBefore: Date;
  effectiveAt: Date;
}

const MAX_TOKEN_LIFE_MS = PORTAL_TOKEN_MAX_EXPIRY_S * 1000;

/**
 * Revocations of consumer-portal tokens. Every portal request reads its application's state, so it is cached
 * (ReadCache: evicted in every process by a revocation, an application delete or a tenant delete, and never
 * older than 30 s); a revocation is in force on the next request of this process and of every other one as
 * soon as PostgreSQL's notification reaches it.
 */
@Injectable()
export class PortalAccessRepository {
  constructor(
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  state(tenantId: string, applicationId: string): Promise<PortalAccessState> {
    return this.cache.get(
      `portal:${tenantId}:${applicationId}`,
      () => [`tenant:${tenantId}`, `app:${applicationId}`, `portal:${applicationId}`],
      async () => {
        const [app] = await this.sql.query<{ live: boolean }>(
          `SELECT true AS live FROM applications a JOIN tenants t ON t.id = a.tenant_id
            WHERE a.id = $1 AND a.tenant_id = $2 AND NOT a.operational AND t.deleted_at IS NULL`,
          [applicationId, tenantId],
        );
        if (!app) return { live: false, revocations: [] };
        const revocations = await this.sql.query<RevocationRow>(
          `SELECT session_id AS "sessionId", token_id AS "tokenId", issued_before AS "issuedBefore",
                  effective_at AS "effectiveAt"
             FROM portal_revocations
            WHERE application_id = $1 AND tenant_id = $2 AND expires_at > now()`,
          [applicationId, tenantId],
        );
        return { live: true, revocations };
      },
    );
  }

  /** Records a revocation (one row per session named) and drops the ones no live token can match any more. */
  async revoke(tenantId: string, applicationId: string, request: PortalRevocationRequest): Promise<void> {
    const subjects: { sessionId: string | null; tokenId: string | null }[] = request.tokenId
      ? [{ sessionId: null, tokenId: request.tokenId }]
      : request.sessionIds
        ? request.sessionIds.map((sessionId) => ({ sessionId, tokenId: null }))
        : [{ sessionId: null, tokenId: null }];
    if (subjects.length === 0) return;
    const expiresAt = new Date(request.issuedBefore.getTime() + MAX_TOKEN_LIFE_MS);
    await this.sql.transaction(async (tx) => {
      await tx.query(`DELETE FROM portal_revocations WHERE application_id = $1 AND expires_at <= now()`, [
        applicationId,
      ]);
      await tx.query(
        `INSERT INTO portal_revocations
           (id, tenant_id, application_id, session_id, token_id, issued_before, effective_at, expires_at)
         SELECT s.id, $1, $2, s.session_id, s.token_id, $3, $4, $5
           FROM unnest($6::text[], $7::text[], $8::text[]) AS s(id, session_id, token_id)`,
        [
          tenantId,
          applicationId,
          request.issuedBefore,
          request.effectiveAt,
          expiresAt,
          subjects.map(() => newId('portalRevocation')),
          subjects.map((s) => s.sessionId),
          subjects.map((s) => s.tokenId),
        ],
      );
    });
    // Before the answer: the revoked tokens fail on this process's very next request.
    await this.cache.invalidate(`portal:${applicationId}`);
  }
}
