import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { PrismaService } from './prisma.service';

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

@Injectable()
export class DeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Takes a delivery for one attempt: pending and due, or `sending` with an expired lease (its worker
   * died). The attempt count must match the job's, so a stale job for an earlier attempt does nothing.
   */
  async claim(
    deliveryId: string,
    attemptCount: number,
    leaseMs: number,
  ): Promise<ClaimedDelivery | undefined> {
    const claimed = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE deliveries
         SET status = 'sending', lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
       WHERE id = ${deliveryId}
         AND attempt_count = ${attemptCount}
         AND ((status = 'pending' AND next_attempt_at <= now() + interval '1 second')
              OR (status = 'sending' AND lease_until < now()))
      RETURNING id`;
    if (claimed.length === 0) return undefined;
    const row = await this.prisma.delivery.findUniqueOrThrow({
      where: { id: deliveryId },
      select: {
        id: true,
        tenantId: true,
        applicationId: true,
        attemptCount: true,
        message: { select: { id: true, eventType: true, eventId: true, payload: true } },
        endpoint: {
          select: {
            id: true,
            uid: true,
            url: true,
            disabled: true,
            headers: true,
            secret: true,
            oldSecrets: true,
            failingSince: true,
            application: { select: { id: true, uid: true, operational: true } },
          },
        },
      },
    });
    const { application, ...endpoint } = row.endpoint;
    return {
      ...row,
      endpoint: {
        ...endpoint,
        headers: endpoint.headers as Record<string, string>,
      },
      application,
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
    return this.prisma.$transaction(async (tx) => {
      await tx.deliveryAttempt.create({
        data: {
          id: a.id,
          tenantId: a.tenantId,
          deliveryId: a.deliveryId,
          messageId: a.messageId,
          endpointId: a.endpointId,
          url: a.url,
          responseStatusCode: a.responseStatusCode,
          response: a.response,
          responseDurationMs: a.responseDurationMs,
          status: a.success ? 'success' : 'fail',
          errorKind: a.errorKind,
          trigger: a.trigger,
          createdAt: a.at,
        },
      });
      const { count } = await tx.delivery.updateMany({
        where: { id: a.deliveryId, status: 'sending', attemptCount: a.claimedAttemptCount },
        data: {
          status: a.next.status,
          attemptCount: a.claimedAttemptCount + 1,
          nextAttemptAt: a.next.status === 'pending' ? a.next.nextAttemptAt : null,
          leaseUntil: null,
        },
      });
      const endpoint = await tx.endpoint.findUniqueOrThrow({
        where: { id: a.endpointId },
        select: { failingSince: true, disabled: true },
      });
      const failingSince = a.success ? null : (endpoint.failingSince ?? a.at);
      const expired = failingSince !== null && a.at.getTime() - failingSince.getTime() >= a.disableAfterMs;
      const disableNow = !endpoint.disabled && !a.success && (a.disableEndpoint || expired);
      const data: Prisma.EndpointUpdateInput = {};
      if ((endpoint.failingSince?.getTime() ?? null) !== (failingSince?.getTime() ?? null))
        data.failingSince = failingSince;
      if (disableNow) data.disabled = true;
      if (Object.keys(data).length > 0) await tx.endpoint.update({ where: { id: a.endpointId }, data });
      return { applied: count === 1, endpointDisabledNow: disableNow, endpointFailingSince: failingSince };
    });
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
   * message was created in [since, until), in id order after `afterId`. Rows another transaction holds are
   * skipped rather than waited for.
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
                AND m.created_at >= ${window.since}
                ${window.until ? Prisma.sql`AND m.created_at < ${window.until}` : Prisma.empty}
                ${afterId ? Prisma.sql`AND f.id > ${afterId}` : Prisma.empty}
              ORDER BY f.id
              LIMIT ${limit}
                FOR UPDATE OF f SKIP LOCKED)
      RETURNING d.id, d.attempt_count AS "attemptCount"`;
  }

  /**
   * Replay-missing: messages of an application created in [since, until) that have no delivery to the
   * endpoint, in id order after `afterId`, with what the endpoint's filters need.
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
