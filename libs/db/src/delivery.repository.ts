import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import DataLoader from 'dataloader';
import type { HealthChange, NextDeliveryState } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { isDatabaseUnavailable } from './database-errors';
import { ReadCache } from './read-cache';
import { lockOrderingKeys, OrderingLine } from './ordering-locks';
import { ADVANCE_LINES, STALLED_LINES } from './ordering-statements';
import type { SqlTransaction } from './sql.service';

export type DeliveryStatusName = 'pending' | 'sending' | 'success' | 'fail' | 'canceled';
export type AttemptTrigger = 'scheduled' | 'manual';

/**
 * What the worker needs for one attempt, loaded by the claim. `fence` is the claim's token: every later
 * write about this attempt (record, park, cancel) applies only while the delivery still carries it.
 */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  applicationId: string;
  fence: number;
  /** Attempts recorded so far (all schedules). */
  attemptCount: number;
  /** Attempts made in the current retry schedule. */
  retryCount: number;
  /** Claims since the last recorded attempt, this one included. */
  openClaims: number;
  trigger: AttemptTrigger;
  /** The tenant was deleted, or the message's content expunged, since the delivery was scheduled: cancel it. */
  canceled: boolean;
  /** The message's ordering key; the delivery is then its line's head, or was resent out of line. */
  orderingKey: string | null;
  message: { id: string; eventType: string; eventId: string | null; payload: string };
  endpoint: {
    id: string;
    uid: string | null;
    /** As stored: without user info, except in a row written before it was split off (see `openStoredUrl`). */
    url: string;
    /** The URL's user info, sealed as stored (null: none); the caller opens it with `openStoredUrl`. */
    urlCredentials: string | null;
    disabled: boolean;
    /** Custom headers as stored (sealed; plain in a row not re-sealed yet): the caller opens them (`openHeaders`). */
    headers: unknown;
    /** Sealed secrets as stored; the caller opens them. */
    secret: string;
    /** The stored JSON of rotated-out secrets (see old-secrets.ts). */
    oldSecrets: unknown;
    failingSince: Date | null;
    /** Ownership verification as stored (null: not required), its current challenge and deadline. */
    verification: string | null;
    verificationChallenge: string | null;
    verificationExpiresAt: Date | null;
  };
  application: { id: string; uid: string | null; operational: boolean };
}

/** An operational webhook to raise, as an outbox row: its id and the exact JSON body `{type, data}`. */
export interface OutboxWebhook {
  id: string;
  payload: string;
}

/** The outcome of one HTTP try and everything it changes, written together. */
export interface AttemptRecord {
  id: string;
  deliveryId: string;
  tenantId: string;
  applicationId: string;
  messageId: string;
  endpointId: string;
  /** The claim's token. */
  fence: number;
  /** The delivery's ordering key: a final outcome hands its line to the next delivery of the key. */
  orderingKey: string | null;
  url: string;
  responseStatusCode: number;
  response: string;
  responseDurationMs: number;
  success: boolean;
  errorKind: string | null;
  trigger: AttemptTrigger;
  at: Date;
  next: NextDeliveryState;
  health: HealthChange;
  /** For the disable check: 410 Gone disables at once, otherwise after failing this long. */
  gone: boolean;
  disableAfterMs: number;
  /** Raised only if the record applies (the delivery still carries the token). */
  messageEvents: OutboxWebhook[];
  /** Raised only if this attempt is the one that disables the endpoint. */
  disabledEvent: OutboxWebhook | null;
}

export interface RecordedAttempt {
  /** False when the delivery moved on meanwhile (re-claimed after its lease, or rescheduled by a person). */
  applied: boolean;
  /** The delivery's fence after the record, which the next attempt's job carries; null when not applied. */
  fence: number | null;
  endpointDisabledNow: boolean;
  /** The delivery of the same ordering key that became due because this one finished: queue it. */
  released: DueDelivery[];
}

/** A delivery to put on the queue: its job carries this fence, and whose it is (for flow control). */
export interface DueDelivery {
  id: string;
  fence: number;
  tenantId: string;
  applicationId: string;
  endpointId: string;
}

/** The columns of a DueDelivery, for RETURNING and SELECT lists. */
const DUE = `id, fence, tenant_id AS "tenantId", application_id AS "applicationId", endpoint_id AS "endpointId"`;

/** A delivery an ordering line released: due at `dueAt` (now, or its message's `deliverAt`). */
export type ReleasedDelivery = DueDelivery & { dueAt: Date; orderingKey: string };

async function advanceLines(tx: SqlTransaction, lines: readonly OrderingLine[]): Promise<ReleasedDelivery[]> {
  if (lines.length === 0) return [];
  return tx.prepared<ReleasedDelivery>('advance-ordering-lines', ADVANCE_LINES, [
    lines.map((l) => l.endpointId),
    lines.map((l) => l.key),
  ]);
}

const lineId = (l: OrderingLine) => `${l.endpointId}/${l.key}`;

/**
 * The record of a batch of attempts (see `DeliveryRepository.recordAttempt`), in one statement: the attempt
 * rows, each delivery's next state if it still carries the claim's fence, and the outbox rows it raises.
 */
const RECORD_ATTEMPTS = `WITH input AS (
         SELECT * FROM json_to_recordset($1::json) AS r(
           id text, tenant_id text, delivery_id text, message_id text, endpoint_id text, url text,
           response_status_code int, response text, response_duration_ms int, status delivery_status,
           error_kind text, trigger text, created_at timestamptz, next_status delivery_status, fence int,
           next_attempt_at timestamptz, n int)
       ), counts AS (
         SELECT delivery_id, count(*)::int AS n FROM input GROUP BY delivery_id
       ), attempts AS (
         INSERT INTO delivery_attempts (id, tenant_id, delivery_id, message_id, endpoint_id, url, response_status_code,
                                        response, response_duration_ms, status, error_kind, trigger, created_at)
         SELECT id, tenant_id, delivery_id, message_id, endpoint_id, url, response_status_code, response,
                response_duration_ms, status, error_kind, trigger, created_at
           FROM input
       ), moved AS (
         UPDATE deliveries d
            SET status = i.next_status, attempt_count = d.attempt_count + c.n, retry_count = d.retry_count + 1,
                next_attempt_at = i.next_attempt_at, lease_until = NULL, open_claims = 0, fence = d.fence + 1,
                next_trigger = 'scheduled', updated_at = now(),
                -- A final outcome leaves the ordering line (the caller releases the next one); a dead letter
                -- in line says the key moved on past it.
                ordering_line = CASE WHEN i.next_status = 'pending' THEN d.ordering_line END,
                ordering_skipped_at = CASE WHEN i.next_status = 'fail' AND d.ordering_line IS NOT NULL THEN now()
                                           ELSE d.ordering_skipped_at END
           FROM (SELECT * FROM input ORDER BY n) i
           JOIN counts c ON c.delivery_id = i.delivery_id
          WHERE d.id = i.delivery_id AND d.fence = i.fence AND d.status = 'sending'
         RETURNING d.id, d.fence
       ), overtaken AS (
         -- Overtaken meanwhile (a resend, or another worker after the lease ran out), an attempt moves nothing,
         -- but it was made: the count keeps up with the rows. Exclusive with the update above, so no row is
         -- updated twice in this statement.
         UPDATE deliveries d SET attempt_count = d.attempt_count + c.n, updated_at = now()
           FROM counts c
          WHERE d.id = c.delivery_id AND d.id NOT IN (SELECT id FROM moved)
       ), events AS (
         INSERT INTO outbox_events (id, tenant_id, kind, payload)
         SELECT e.id, e.tenant_id, 'operational_webhook', e.payload
           FROM json_to_recordset($2::json) AS e(id text, tenant_id text, delivery_id text, payload text)
          WHERE e.delivery_id IN (SELECT id FROM moved)
       )
       SELECT id, fence FROM moved`;

function recordParams(ordered: readonly AttemptRecord[]): string[] {
  return [
    JSON.stringify(
      ordered.map((a, n) => ({
        id: a.id,
        tenant_id: a.tenantId,
        delivery_id: a.deliveryId,
        message_id: a.messageId,
        endpoint_id: a.endpointId,
        url: a.url,
        response_status_code: a.responseStatusCode,
        response: a.response,
        response_duration_ms: a.responseDurationMs,
        status: a.success ? 'success' : 'fail',
        error_kind: a.errorKind,
        trigger: a.trigger,
        created_at: a.at.toISOString(),
        next_status: a.next.status,
        fence: a.fence,
        next_attempt_at: a.next.status === 'pending' ? a.next.nextAttemptAt.toISOString() : null,
        n,
      })),
    ),
    JSON.stringify(
      ordered.flatMap((a) =>
        a.messageEvents.map((e) => ({
          id: e.id,
          tenant_id: a.tenantId,
          delivery_id: a.deliveryId,
          payload: e.payload,
        })),
      ),
    ),
  ];
}

/** Where the reconciler's walk through due deliveries stopped. */
export interface DueCursor {
  nextAttemptAt: Date;
  id: string;
}

interface ClaimRow {
  id: string;
  tenantId: string;
  applicationId: string;
  fence: number;
  attemptCount: number;
  retryCount: number;
  openClaims: number;
  trigger: AttemptTrigger;
  tenantDeleted: boolean;
  messageExpunged: boolean;
  orderingKey: string | null;
  messageId: string;
  eventType: string;
  eventId: string | null;
  payload: string;
  endpointId: string;
  endpointUid: string | null;
  url: string;
  urlCredentials: string | null;
  disabled: boolean;
  headers: unknown;
  secret: string;
  oldSecrets: unknown;
  failingSince: Date | null;
  verification: string | null;
  verificationChallenge: string | null;
  verificationExpiresAt: Date | null;
  appId: string;
  appUid: string | null;
  operational: boolean;
}

interface ClaimKey {
  deliveryId: string;
  fence: number;
  leaseMs: number;
}

/**
 * The hot path's statements are shared by the calls made within this window: a worker running many
 * attempts at once claims and records them a batch per statement instead of a statement each (DataLoader
 * does the grouping). Each caller still waits for its own result, so nothing is acknowledged before it is
 * written.
 */
const BATCHING = {
  cache: false,
  maxBatchSize: 500,
  batchScheduleFn: (run: () => void) => setTimeout(run, 2),
} as const;

function toClaimed(row: ClaimRow): ClaimedDelivery {
  return {
    id: row.id,
    tenantId: row.tenantId,
    applicationId: row.applicationId,
    fence: row.fence,
    attemptCount: row.attemptCount,
    retryCount: row.retryCount,
    openClaims: row.openClaims,
    trigger: row.trigger,
    canceled: row.tenantDeleted || row.messageExpunged,
    orderingKey: row.orderingKey,
    message: { id: row.messageId, eventType: row.eventType, eventId: row.eventId, payload: row.payload },
    endpoint: {
      id: row.endpointId,
      uid: row.endpointUid,
      url: row.url,
      urlCredentials: row.urlCredentials,
      disabled: row.disabled,
      headers: row.headers,
      secret: row.secret,
      oldSecrets: row.oldSecrets,
      failingSince: row.failingSince,
      verification: row.verification,
      verificationChallenge: row.verificationChallenge,
      verificationExpiresAt: row.verificationExpiresAt,
    },
    application: { id: row.appId, uid: row.appUid, operational: row.operational },
  };
}

/**
 * The delivery state machine in PostgreSQL. Every change that hands out work bumps the row's `fence`, and
 * every change made on behalf of a claim requires the claim's fence, so a stale job, a worker whose lease was
 * taken over, or an attempt overtaken by a resend can write its attempt row but never move the delivery.
 */
@Injectable()
export class DeliveryRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  /**
   * Takes a delivery for one attempt if the job's fence is current and the delivery is pending and due, or
   * `sending` with an expired lease (its worker died). Returns the new fence as the claim's token.
   * A delivery whose tenant was deleted or whose message was expunged is claimed only to be canceled
   * (a resend or recover that raced the expunge may have reopened it), so none is ever sent.
   * Claims made within a couple of milliseconds of each other share one statement (see `claimBatch`).
   */
  claim(deliveryId: string, fence: number, leaseMs: number): Promise<ClaimedDelivery | undefined> {
    return this.claims.load({ deliveryId, fence, leaseMs });
  }

  private readonly claims = new DataLoader<ClaimKey, ClaimedDelivery | undefined>(
    (keys) => this.claimBatch(keys),
    BATCHING,
  );

  /**
   * One statement for many claims. Rows another transaction holds are skipped, not waited for (that claim
   * fails: the holder has the delivery), which also keeps concurrent batches from deadlocking.
   */
  private async claimBatch(keys: readonly ClaimKey[]): Promise<(ClaimedDelivery | undefined)[]> {
    const rows = await this.sql.prepared<ClaimRow>(
      'claim-deliveries',
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::int[], $3::float8[]) AS i(id, fence, lease_secs)
       ), target AS (
         SELECT d.id, i.lease_secs FROM deliveries d JOIN input i ON i.id = d.id AND i.fence = d.fence
          WHERE (d.status = 'pending' AND d.next_attempt_at <= now() + interval '1 second')
             OR (d.status = 'sending' AND d.lease_until < now())
            FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE deliveries d
            SET status = 'sending', fence = d.fence + 1, open_claims = d.open_claims + 1,
                lease_until = now() + make_interval(secs => t.lease_secs), updated_at = now()
           FROM target t
          WHERE d.id = t.id
         RETURNING d.id, d.tenant_id, d.application_id, d.message_id, d.endpoint_id, d.fence, d.attempt_count,
                   d.retry_count, d.open_claims, d.next_trigger, d.ordering_key
       )
       SELECT c.id, c.tenant_id AS "tenantId", c.application_id AS "applicationId", c.fence,
              c.attempt_count AS "attemptCount", c.retry_count AS "retryCount", c.open_claims AS "openClaims",
              c.next_trigger AS "trigger", t.deleted_at IS NOT NULL AS "tenantDeleted",
              m.expunged_at IS NOT NULL AS "messageExpunged", c.ordering_key AS "orderingKey",
              m.id AS "messageId", m.event_type AS "eventType", m.event_id AS "eventId", m.payload,
              e.id AS "endpointId", e.uid AS "endpointUid", e.url, e.url_credentials AS "urlCredentials", e.disabled, e.headers, e.secret,
              e.old_secrets AS "oldSecrets", e.failing_since AS "failingSince", e.verification,
              e.verification_challenge AS "verificationChallenge",
              e.verification_expires_at AS "verificationExpiresAt",
              a.id AS "appId", a.uid AS "appUid", a.operational
         FROM claimed c
         JOIN messages m ON m.id = c.message_id
         JOIN endpoints e ON e.id = c.endpoint_id
         JOIN applications a ON a.id = e.application_id
         JOIN tenants t ON t.id = c.tenant_id`,
      [keys.map((k) => k.deliveryId), keys.map((k) => k.fence), keys.map((k) => k.leaseMs / 1000)],
    );
    const byId = new Map(rows.map((row) => [row.id, toClaimed(row)]));
    return keys.map((k) => byId.get(k.deliveryId));
  }

  /**
   * Parks a claimed delivery of a disabled endpoint, or of one whose ownership is not verified: pending with
   * no due time, so neither the queue nor the reconciler touches it until the endpoint is enabled again or
   * verified (`resumeParked`). If that happened since the claim, its `resumeParked` may have run already: the
   * delivery is left due instead, for the reconciler, rather than parked with nothing left to resume it.
   */
  async park(deliveryId: string, fence: number): Promise<void> {
    await this.sql.query(
      `UPDATE deliveries d
          SET status = 'pending', lease_until = NULL, open_claims = 0, fence = d.fence + 1, updated_at = now(),
              next_attempt_at = CASE WHEN e.disabled OR e.verification IS DISTINCT FROM 'verified'
                                          AND e.verification IS NOT NULL THEN NULL ELSE now() END
         FROM endpoints e
        WHERE d.id = $1 AND d.fence = $2 AND d.status = 'sending' AND e.id = d.endpoint_id`,
      [deliveryId, fence],
    );
  }

  /**
   * Ends a claimed delivery without an attempt: its tenant was deleted or its message expunged. It leaves its
   * ordering line, whose next delivery is released (returned, to be queued) in the same transaction.
   */
  async cancel(deliveryId: string, fence: number, line: OrderingLine | null): Promise<ReleasedDelivery[]> {
    const cancel = (tx: SqlTransaction) =>
      tx.query(
        `UPDATE deliveries
            SET status = 'canceled', lease_until = NULL, next_attempt_at = NULL, open_claims = 0,
                fence = fence + 1, ordering_line = NULL, updated_at = now()
          WHERE id = $1 AND fence = $2 AND status = 'sending'`,
        [deliveryId, fence],
      );
    if (!line) {
      await cancel(this.sql);
      return [];
    }
    return this.sql.transaction(async (tx) => {
      await lockOrderingKeys(tx, [line]);
      await cancel(tx);
      return advanceLines(tx, [line]);
    });
  }

  /**
   * Makes an endpoint's parked deliveries due now; returns them for enqueueing. Deliveries waiting in an
   * ordering line are not parked: they stay behind their head.
   */
  async resumeParked(tenantId: string, endpointId: string): Promise<DueDelivery[]> {
    return this.sql.query<DueDelivery>(
      `UPDATE deliveries SET next_attempt_at = now(), fence = fence + 1, updated_at = now()
        WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending' AND next_attempt_at IS NULL
          AND ordering_line IS DISTINCT FROM 'waiting'
       RETURNING ${DUE}`,
      [tenantId, endpointId],
    );
  }

  /**
   * The write after every try: the attempt row and the delivery's attempt count (always: it happened), and,
   * only if the delivery still carries the claim's fence, its next state and the operational webhooks that
   * outcome raises (outbox rows in the same statement, so they cannot be lost to a crash after the record).
   * The endpoint's failing streak is written only when it starts or ends; disabling, rare, is a statement of
   * its own with its event. Records made within a couple of milliseconds of each other share statements
   * (see `recordBatch`).
   */
  recordAttempt(a: AttemptRecord): Promise<RecordedAttempt> {
    return this.records.load(a);
  }

  private readonly records = new DataLoader<AttemptRecord, RecordedAttempt>(
    (batch) => this.recordBatch(batch),
    BATCHING,
  );

  /**
   * A batch of records in one statement. If the statement fails for a reason other than the database being
   * unreachable (a value PostgreSQL refuses), each record is written on its own, so one bad record fails
   * alone and its caller can write it again without the offending part.
   */
  private async recordBatch(batch: readonly AttemptRecord[]): Promise<(RecordedAttempt | Error)[]> {
    try {
      return await this.writeRecords(batch);
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) return batch.map(() => asError(error));
      return Promise.all(
        batch.map((record) =>
          this.writeRecords([record]).then(
            ([result]) => result!,
            (e: unknown) => asError(e),
          ),
        ),
      );
    }
  }

  /**
   * The record statement; with final outcomes of ordered deliveries in the batch, it runs in a transaction
   * with their lines' locks and the release of each line's next delivery (`ADVANCE_LINES`), so a line moves on
   * exactly when its head's final record commits.
   */
  private async writeRecords(batch: readonly AttemptRecord[]): Promise<RecordedAttempt[]> {
    // Locks are taken in delivery-id order, so two batches touching the same rows cannot deadlock.
    const ordered = [...batch].sort((x, y) => (x.deliveryId < y.deliveryId ? -1 : 1));
    const ending = batch
      .filter((a) => a.orderingKey !== null && a.next.status !== 'pending')
      .map((a) => ({ endpointId: a.endpointId, key: a.orderingKey! }));
    const params = recordParams(ordered);
    let released: ReleasedDelivery[] = [];
    const applied =
      ending.length === 0
        ? await this.sql.prepared<{ id: string; fence: number }>('record-attempts', RECORD_ATTEMPTS, params)
        : await this.sql.transaction(async (tx) => {
            await lockOrderingKeys(tx, ending);
            const rows = await tx.prepared<{ id: string; fence: number }>(
              'record-attempts',
              RECORD_ATTEMPTS,
              params,
            );
            released = await advanceLines(tx, ending);
            return rows;
          });
    // What a line released goes back to the record that ended its head.
    const releasedByLine = new Map<string, ReleasedDelivery[]>();
    for (const r of released) {
      const key = r.orderingKey;
      releasedByLine.set(lineId({ endpointId: r.endpointId, key }), [r]);
    }
    const fences = new Map(applied.map((row) => [row.id, row.fence]));
    await this.updateStreaks(batch);
    return Promise.all(
      batch.map(async (a) => ({
        applied: fences.has(a.deliveryId),
        fence: fences.get(a.deliveryId) ?? null,
        endpointDisabledNow: a.health.disable ? await this.disableEndpoint(a) : false,
        released:
          a.orderingKey !== null && a.next.status !== 'pending' && fences.has(a.deliveryId)
            ? (releasedByLine.get(lineId({ endpointId: a.endpointId, key: a.orderingKey })) ?? [])
            : [],
      })),
    );
  }
  /** Starts or ends endpoints' failing streaks where a record asks it: the latest record per endpoint wins. */
  private async updateStreaks(batch: readonly AttemptRecord[]): Promise<void> {
    const latest = new Map<string, AttemptRecord>();
    for (const a of batch) {
      if (!a.health.startStreak && !a.health.endStreak) continue;
      const seen = latest.get(a.endpointId);
      if (!seen || seen.at <= a.at) latest.set(a.endpointId, a);
    }
    if (latest.size === 0) return;
    await this.sql.query(
      `UPDATE endpoints e SET failing_since = CASE WHEN h.start THEN h.at ELSE NULL END
         FROM json_to_recordset($1::json) AS h(endpoint_id text, start boolean, stop boolean, at timestamptz)
        WHERE e.id = h.endpoint_id
          AND ((h.start AND e.failing_since IS NULL) OR (h.stop AND e.failing_since IS NOT NULL))`,
      [
        JSON.stringify(
          [...latest.values()].map((a) => ({
            endpoint_id: a.endpointId,
            start: a.health.startStreak,
            stop: a.health.endStreak,
            at: a.at.toISOString(),
          })),
        ),
      ],
    );
  }

  /**
   * Disables the endpoint if it is still enabled and still qualifies (410 Gone, or failing since long enough:
   * a success meanwhile ends the streak), with its `endpoint.disabled` webhook in the same statement. True
   * when this call is the one that disabled it, so the webhook is raised once.
   */
  private async disableEndpoint(a: AttemptRecord): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>(
      `WITH disabled AS (
         UPDATE endpoints SET disabled = true, updated_at = now()
          WHERE id = $1 AND NOT disabled
            AND ($2 OR COALESCE(failing_since, $3::timestamptz) <= $3::timestamptz - make_interval(secs => $4))
         RETURNING id
       ), event AS (
         INSERT INTO outbox_events (id, tenant_id, kind, payload)
         SELECT $5, $6, 'operational_webhook', $7 FROM disabled WHERE $5::text IS NOT NULL
       )
       SELECT id FROM disabled`,
      [
        a.endpointId,
        a.gone,
        a.at,
        a.disableAfterMs / 1000,
        a.disabledEvent?.id ?? null,
        a.tenantId,
        a.disabledEvent?.payload ?? null,
      ],
    );
    // Fan-out must stop routing to it: every process's cached routing of the application is evicted.
    if (rows.length > 0) await this.cache.invalidate(`endpoints:${a.applicationId}`);
    return rows.length > 0;
  }

  /**
   * A page of deliveries that should be in the queue but may not be: pending and due for longer than
   * `graceMs`, in (due time, id) order after `after`. The reconciler walks them page by page, so a long
   * backlog is covered in turn rather than its oldest rows re-read every tick.
   */
  async findDue(
    graceMs: number,
    after: DueCursor | null,
    limit: number,
  ): Promise<(DueDelivery & { nextAttemptAt: Date })[]> {
    return this.sql.query(
      `SELECT ${DUE}, next_attempt_at AS "nextAttemptAt" FROM deliveries
        WHERE status = 'pending' AND next_attempt_at <= now() - make_interval(secs => $1)
          AND ($2::timestamptz IS NULL OR (next_attempt_at, id) > ($2::timestamptz, $3::text))
        ORDER BY next_attempt_at, id
        LIMIT $4`,
      [graceMs / 1000, after?.nextAttemptAt ?? null, after?.id ?? null, limit],
    );
  }

  /**
   * Ordering lines that have deliveries waiting and no live head, for longer than `graceMs`: nothing in the
   * engine leaves a line so (a head's final record releases the next one in its own transaction), but an
   * expunge cancels a head without releasing, and the reconciler must not depend on it. See `releaseLines`.
   */
  findStalledLines(graceMs: number, limit: number): Promise<OrderingLine[]> {
    return this.sql.query<OrderingLine>(STALLED_LINES, [graceMs / 1000, limit]);
  }

  /** Under the lines' locks, makes the first waiting delivery of each line with no live head its head. */
  releaseLines(lines: readonly OrderingLine[]): Promise<ReleasedDelivery[]> {
    if (lines.length === 0) return Promise.resolve([]);
    return this.sql.transaction(async (tx) => {
      await lockOrderingKeys(tx, lines);
      return advanceLines(tx, lines);
    });
  }

  /** Deliveries whose worker stopped holding them (it died mid-attempt): their lease ran out. */
  async findExpiredLeases(limit: number): Promise<DueDelivery[]> {
    return this.sql.query<DueDelivery>(
      `SELECT ${DUE} FROM deliveries WHERE status = 'sending' AND lease_until < now()
        ORDER BY lease_until LIMIT $1`,
      [limit],
    );
  }

  /**
   * Manual attempts (resend): one more attempt of the message to the endpoint now, whatever the delivery's
   * state, on a fresh retry schedule. History is kept: the attempt count goes on from where it is, and the
   * fence moves, so the old schedule's jobs and an attempt in flight no longer move the delivery (the attempt
   * in flight still writes its row). A pair that never had a delivery (endpoint created later, or filtered
   * out) gets one with `newId`. A delivery still waiting in its ordering line keeps its place: its manual
   * attempt goes out when the line reaches it (`waiting`: nothing to queue now). One that has left its
   * line (finished) is sent at once, outside the key's order, and holds up no other delivery of the key.
   */
  async reopenForManualAttempt(
    tenantId: string,
    pair: { applicationId: string; messageId: string; endpointId: string; newId: string },
  ): Promise<DueDelivery & { waiting: boolean }> {
    const [row] = await this.sql.query<DueDelivery & { waiting: boolean }>(
      `INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                               next_attempt_at, next_trigger, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', 0, now(), 'manual', now(), now())
       ON CONFLICT (message_id, endpoint_id) DO UPDATE
          SET status = 'pending', retry_count = 0, open_claims = 0, lease_until = NULL,
              next_attempt_at = CASE WHEN deliveries.ordering_line = 'waiting' THEN NULL ELSE now() END,
              next_trigger = 'manual', fence = deliveries.fence + 1, updated_at = now()
        WHERE deliveries.tenant_id = EXCLUDED.tenant_id
       RETURNING ${DUE}, ordering_line IS NOT DISTINCT FROM 'waiting' AS waiting`,
      [pair.newId, tenantId, pair.applicationId, pair.messageId, pair.endpointId],
    );
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
         SET status = 'pending', retry_count = 0, open_claims = 0, next_attempt_at = now(), lease_until = NULL,
             next_trigger = 'manual', fence = d.fence + 1, updated_at = now()
       WHERE d.status = 'fail' AND d.id IN (
             SELECT f.id FROM deliveries f JOIN messages m ON m.id = f.message_id
              WHERE f.tenant_id = ${tenantId} AND f.endpoint_id = ${endpointId} AND f.status = 'fail'
                AND m.created_at >= ${window.since} AND m.expunged_at IS NULL
                ${window.until ? Prisma.sql`AND m.created_at < ${window.until}` : Prisma.empty}
                ${afterId ? Prisma.sql`AND f.id > ${afterId}` : Prisma.empty}
              ORDER BY f.id
              LIMIT ${limit}
                FOR UPDATE OF f SKIP LOCKED)
      RETURNING d.id, d.fence, d.tenant_id AS "tenantId", d.application_id AS "applicationId",
                d.endpoint_id AS "endpointId"`;
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

  /** Creates manual deliveries of messages to one endpoint; a pair that got one meanwhile is skipped. */
  async createForEndpoint(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    deliveries: { id: string; messageId: string; nextAttemptAt: Date }[],
  ): Promise<(DueDelivery & { nextAttemptAt: Date | null })[]> {
    if (deliveries.length === 0) return [];
    return this.prisma.delivery.createManyAndReturn({
      data: deliveries.map((d) => ({ ...d, tenantId, applicationId, endpointId, nextTrigger: 'manual' })),
      skipDuplicates: true,
      select: {
        id: true,
        fence: true,
        tenantId: true,
        applicationId: true,
        endpointId: true,
        nextAttemptAt: true,
      },
    });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
