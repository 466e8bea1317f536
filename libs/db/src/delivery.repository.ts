import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';

export type DeliveryStatusName = 'pending' | 'sending' | 'success' | 'fail' | 'canceled';
export type AttemptTrigger = 'scheduled' | 'manual';

/** What the worker needs for one attempt, loaded once the delivery is claimed. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  applicationId: string;
  attemptCount: number;
  message: { id: string; eventType: string; eventId: string | null; payload: string };
  endpoint: {
    id: string;
    uid: string | null;
    url: string;
    disabled: boolean;
    headers: Record<string, string>;
    /** Sealed secrets as stored; the caller opens them. */
    secret: string;
    /** The stored JSON of rotated-out secrets (see old-secrets.ts). */
    oldSecrets: unknown;
    failingSince: Date | null;
  };
  application: { id: string; uid: string | null; operational: boolean };
}

/** The outcome of one HTTP try and what it means for the delivery. */
export interface AttemptRecord {
  id: string;
  deliveryId: string;
  tenantId: string;
  messageId: string;
  endpointId: string;
  /** The delivery's attempt count when it was claimed. */
  claimedAttemptCount: number;
  url: string;
  responseStatusCode: number;
  response: string;
  responseDurationMs: number;
  success: boolean;
  errorKind: string | null;
  trigger: AttemptTrigger;
  at: Date;
  /** pending + nextAttemptAt to retry, or a final status. */
  next: { status: 'pending'; nextAttemptAt: Date } | { status: 'success' | 'fail' };
  /** Disable the endpoint now (410 Gone); auto-disable after ENDPOINT_DISABLE_AFTER is decided here too. */
  disableEndpoint: boolean;
  disableAfterMs: number;
}

export interface RecordedAttempt {
  /** False when the delivery moved on meanwhile (another worker re-claimed an expired lease). */
  applied: boolean;
  endpointDisabledNow: boolean;
  endpointFailingSince: Date | null;
}

export interface DueDelivery {
  id: string;
  attemptCount: number;
}

interface ClaimRow {
  id: string;
  tenantId: string;
  applicationId: string;
  attemptCount: number;
  messageId: string;
  eventType: string;
  eventId: string | null;
  payload: string;
  endpointId: string;
  endpointUid: string | null;
  url: string;
  disabled: boolean;
  headers: Record<string, string>;
  secret: string;
  oldSecrets: unknown;
  failingSince: Date | null;
  appId: string;
  appUid: string | null;
  operational: boolean;
}

@Injectable()
export class DeliveryRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
  ) {}

  /**
   * Takes a delivery for one attempt: pending and due, or `sending` with an expired lease (its worker
   * died). The attempt count must match the job's, so a stale job for an earlier attempt does nothing.
   * A delivery whose message was expunged is canceled instead of claimed (a resend or recover that raced the
   * expunge may have reopened it), so no attempt ever sends an expunged message.
   */
  async claim(
    deliveryId: string,
    attemptCount: number,
    leaseMs: number,
  ): Promise<ClaimedDelivery | undefined> {
    // One statement: take the delivery and read everything the attempt needs.
    const [row] = await this.sql.query<ClaimRow>(
      `WITH claimed AS (
         UPDATE deliveries d
            SET status = CASE WHEN x.expunged_at IS NULL THEN 'sending' ELSE 'canceled' END::delivery_status,
                lease_until = CASE WHEN x.expunged_at IS NULL THEN now() + make_interval(secs => $3) END,
                next_attempt_at = CASE WHEN x.expunged_at IS NULL THEN d.next_attempt_at END,
                updated_at = now()
           FROM messages x
          WHERE d.id = $1 AND d.attempt_count = $2 AND x.id = d.message_id
            AND ((d.status = 'pending' AND d.next_attempt_at <= now() + interval '1 second')
                 OR (d.status = 'sending' AND d.lease_until < now()))
         RETURNING d.id, d.tenant_id, d.application_id, d.message_id, d.endpoint_id, d.attempt_count, d.status
       )
       SELECT c.id, c.tenant_id AS "tenantId", c.application_id AS "applicationId",
              c.attempt_count AS "attemptCount",
              m.id AS "messageId", m.event_type AS "eventType", m.event_id AS "eventId", m.payload,
              e.id AS "endpointId", e.uid AS "endpointUid", e.url, e.disabled, e.headers, e.secret,
              e.old_secrets AS "oldSecrets", e.failing_since AS "failingSince",
              a.id AS "appId", a.uid AS "appUid", a.operational
         FROM claimed c
         JOIN messages m ON m.id = c.message_id
         JOIN endpoints e ON e.id = c.endpoint_id
         JOIN applications a ON a.id = e.application_id
        WHERE c.status = 'sending'`,
      [deliveryId, attemptCount, leaseMs / 1000],
    );
    if (!row) return undefined;
    return {
      id: row.id,
      tenantId: row.tenantId,
      applicationId: row.applicationId,
      attemptCount: row.attemptCount,
      message: { id: row.messageId, eventType: row.eventType, eventId: row.eventId, payload: row.payload },
      endpoint: {
        id: row.endpointId,
        uid: row.endpointUid,
        url: row.url,
        disabled: row.disabled,
        headers: row.headers,
        secret: row.secret,
        oldSecrets: row.oldSecrets,
        failingSince: row.failingSince,
      },
      application: { id: row.appId, uid: row.appUid, operational: row.operational },
    };
  }

  /**
   * Parks a claimed delivery of a disabled endpoint: pending with no due time, so neither the queue nor
   * the sweeper touches it until the endpoint is enabled again (`resumeParked`). If the endpoint was
   * enabled again since the claim, its `resumeParked` may have run already: the delivery is left due instead,
   * for the sweeper, rather than parked with nothing left to resume it.
   */
  async park(deliveryId: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE deliveries d
         SET status = 'pending', lease_until = NULL, updated_at = now(),
             next_attempt_at = CASE WHEN e.disabled THEN NULL ELSE now() END
        FROM endpoints e
       WHERE d.id = ${deliveryId} AND d.status = 'sending' AND e.id = d.endpoint_id`;
  }

  /** Makes an endpoint's parked deliveries due now; returns them for enqueueing. */
  async resumeParked(tenantId: string, endpointId: string): Promise<DueDelivery[]> {
    return this.prisma.$queryRaw<DueDelivery[]>`
      UPDATE deliveries SET next_attempt_at = now(), updated_at = now()
       WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId} AND status = 'pending' AND next_attempt_at IS NULL
      RETURNING id, attempt_count AS "attemptCount"`;
  }

  /** The write after every try: the attempt row, the delivery's new state and the endpoint's health. */
  async recordAttempt(a: AttemptRecord): Promise<RecordedAttempt> {
    // One statement: the attempt row, the delivery's next state (only if this worker still holds it), and
    // the endpoint's failure streak (written only when it changes: a streak starts or ends, or it disables).
    const [row] = await this.sql.query<{
      applied: number;
      wasDisabled: boolean;
      oldFailingSince: Date | null;
      nowDisabled: boolean | null;
    }>(
      `WITH attempt AS (
         INSERT INTO delivery_attempts (id, tenant_id, delivery_id, message_id, endpoint_id, url, response_status_code,
                                        response, response_duration_ms, status, error_kind, trigger, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::delivery_status, $11, $12, $13)
       ), delivery AS (
         UPDATE deliveries
            SET status = $14::delivery_status, attempt_count = $15 + 1, next_attempt_at = $16, lease_until = NULL,
                updated_at = now()
          WHERE id = $3 AND status = 'sending' AND attempt_count = $15
         RETURNING id
       ), old AS (
         SELECT id, failing_since, disabled FROM endpoints WHERE id = $5 FOR UPDATE
       ), health AS (
         UPDATE endpoints e
            SET failing_since = CASE WHEN $17 THEN NULL ELSE COALESCE(old.failing_since, $13) END,
                disabled = old.disabled OR (NOT $17 AND ($18 OR COALESCE(old.failing_since, $13)
                             <= $13::timestamptz - make_interval(secs => $19)))
           FROM old
          WHERE e.id = old.id
            AND CASE WHEN $17 THEN old.failing_since IS NOT NULL
                     ELSE old.failing_since IS NULL
                          OR (NOT old.disabled AND ($18 OR old.failing_since <= $13::timestamptz - make_interval(secs => $19)))
                END
         RETURNING e.disabled
       )
       SELECT (SELECT count(*) FROM delivery)::int AS applied,
              (SELECT disabled FROM old) AS "wasDisabled",
              (SELECT failing_since FROM old) AS "oldFailingSince",
              (SELECT disabled FROM health) AS "nowDisabled"`,
      [
        a.id,
        a.tenantId,
        a.deliveryId,
        a.messageId,
        a.endpointId,
        a.url,
        a.responseStatusCode,
        a.response,
        a.responseDurationMs,
        a.success ? 'success' : 'fail',
        a.errorKind,
        a.trigger,
        a.at,
        a.next.status,
        a.claimedAttemptCount,
        a.next.status === 'pending' ? a.next.nextAttemptAt : null,
        a.success,
        a.disableEndpoint,
        a.disableAfterMs / 1000,
      ],
    );
    if (!row) throw new Error(`recording attempt ${a.id} returned nothing`);
    return {
      applied: row.applied === 1,
      endpointDisabledNow: !row.wasDisabled && row.nowDisabled === true,
      endpointFailingSince: a.success ? null : (row.oldFailingSince ?? a.at),
    };
  }

  /**
   * Deliveries that should be in the queue but may not be: due for longer than `graceMs`, or `sending`
   * with an expired lease. The sweeper enqueues them again; deterministic job ids make that harmless.
   */
  async findDue(graceMs: number, limit: number): Promise<DueDelivery[]> {
    return this.prisma.$queryRaw<DueDelivery[]>`
      SELECT id, attempt_count AS "attemptCount" FROM deliveries
       WHERE (status = 'pending' AND next_attempt_at <= now() - make_interval(secs => ${graceMs / 1000}))
          OR (status = 'sending' AND lease_until < now())
       ORDER BY next_attempt_at NULLS LAST
       LIMIT ${limit}`;
  }

  /** The consecutive failed attempts of a delivery, newest first, up to `limit` (for operational events). */
  async recentAttemptStatuses(deliveryId: string, limit: number): Promise<('success' | 'fail')[]> {
    const rows = await this.prisma.deliveryAttempt.findMany({
      where: { deliveryId },
      orderBy: { id: 'desc' },
      take: limit,
      select: { status: true },
    });
    return rows.map((r) => (r.status === 'success' ? 'success' : 'fail'));
  }

  /**
   * Manual attempts (resend): makes the message × endpoint delivery due now on a fresh schedule (pending,
   * attempt count 0) whatever its state, in one statement. A finished delivery (success, fail, canceled) is
   * reopened, a pending one restarts its schedule, and a pair that never had a delivery (endpoint created
   * later, or filtered out) gets one with `newId`. Jobs of the old schedule then find their attempt number
   * gone and do nothing (`claim` requires `attempt_count = job.attempt`); an attempt in flight still records
   * its row but no longer moves the delivery. The caller queues attempt 0 (see DeliveryRecoveryService).
   */
  async reopenForManualAttempt(
    tenantId: string,
    pair: { applicationId: string; messageId: string; endpointId: string; newId: string },
  ): Promise<DueDelivery> {
    const rows = await this.prisma.$queryRaw<DueDelivery[]>`
      INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                              next_attempt_at, created_at, updated_at)
      VALUES (${pair.newId}, ${tenantId}, ${pair.applicationId}, ${pair.messageId}, ${pair.endpointId}, 'pending', 0,
              now(), now(), now())
      ON CONFLICT (message_id, endpoint_id) DO UPDATE
         SET status = 'pending', attempt_count = 0, next_attempt_at = now(), lease_until = NULL, updated_at = now()
       WHERE deliveries.tenant_id = EXCLUDED.tenant_id
      RETURNING id, attempt_count AS "attemptCount"`;
    const row = rows[0];
    if (!row) throw new Error(`delivery of ${pair.messageId} to ${pair.endpointId} is not the tenant's`);
    return row;
  }

  /**
   * Recover: reopens, as `reopenForManualAttempt` does, up to `limit` failed deliveries of an endpoint whose
   * message was created in [since, until) and was not expunged, in id order after `afterId`. Rows another
   * transaction holds are skipped rather than waited for.
   */
  async reopenFailed(
    tenantId: string,
    endpointId: string,
    window: { since: Date; until?: Date | null },
    afterId: string | null,
    limit: number,
  ): Promise<DueDelivery[]> {
    return this.prisma.$queryRaw<DueDelivery[]>`
      UPDATE deliveries d
         SET status = 'pending', attempt_count = 0, next_attempt_at = now(), lease_until = NULL, updated_at = now()
       WHERE d.status = 'fail' AND d.id IN (
             SELECT f.id FROM deliveries f JOIN messages m ON m.id = f.message_id
              WHERE f.tenant_id = ${tenantId} AND f.endpoint_id = ${endpointId} AND f.status = 'fail'
                AND m.created_at >= ${window.since} AND m.expunged_at IS NULL
                ${window.until ? Prisma.sql`AND m.created_at < ${window.until}` : Prisma.empty}
                ${afterId ? Prisma.sql`AND f.id > ${afterId}` : Prisma.empty}
              ORDER BY f.id
              LIMIT ${limit}
                FOR UPDATE OF f SKIP LOCKED)
      RETURNING d.id, d.attempt_count AS "attemptCount"`;
  }

  /**
   * Replay-missing: messages of an application created in [since, until) that have no delivery to the
   * endpoint and still have their content, in id order after `afterId`, with what the endpoint's filters need.
   */
  findMessagesWithoutDelivery(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    window: { since: Date; until?: Date | null },
    afterId: string | null,
    limit: number,
  ): Promise<{ id: string; eventType: string; channels: string[]; deliverAt: Date | null }[]> {
    return this.prisma.message.findMany({
      where: {
        tenantId,
        applicationId,
        createdAt: { gte: window.since, ...(window.until ? { lt: window.until } : {}) },
        expungedAt: null,
        ...(afterId ? { id: { gt: afterId } } : {}),
        deliveries: { none: { endpointId } },
      },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, eventType: true, channels: true, deliverAt: true },
    });
  }

  /** Creates deliveries of messages to one endpoint; a pair that got one meanwhile is skipped. */
  async createForEndpoint(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    deliveries: { id: string; messageId: string; nextAttemptAt: Date }[],
  ): Promise<{ id: string; nextAttemptAt: Date | null }[]> {
    if (deliveries.length === 0) return [];
    return this.prisma.delivery.createManyAndReturn({
      data: deliveries.map((d) => ({ ...d, tenantId, applicationId, endpointId })),
      skipDuplicates: true,
      select: { id: true, nextAttemptAt: true },
    });
  }
}
