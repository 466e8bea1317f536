import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { AdvisoryLocks, DeliveryRepository, DueCursor, IdempotencyRepository } from '@app/db';
import { JobProducer } from '@app/queue';
import { EndpointVerificationService } from './endpoint-verification.service';
import { Metrics } from './metrics';
import { OutboxService } from './outbox.service';

/** Rows read per page, and pages per tick: a backlog is walked in turn, a bounded amount per tick. */
const PAGE = 1_000;
const PAGES_PER_TICK = 5;

export interface ReconcileReport {
  /** Deliveries put back on the queue: due ones and expired leases. */
  requeued: number;
  /** Outbox rows carried out (operational webhooks sent, purges finished). */
  outbox: number;
  /** False when another worker held the lock for this tick's delivery scan. */
  scanned: boolean;
  /** Expired `Idempotency-Key` entries deleted. */
  idempotencyKeysPurged: number;
}

/** Expired idempotency entries deleted per tick at most (one statement each PAGE). */
const IDEMPOTENCY_PURGE_PER_TICK = 5 * PAGE;

/**
 * Nothing is lost between PostgreSQL and Redis. PostgreSQL is the source of truth and this loop reads it,
 * so it works whatever Redis lost (a restart without AOF, FLUSHALL, a failover to an empty replica): every
 * worker process runs it (see ReconcilerLoop), coordinated through a PostgreSQL advisory lock so one scans
 * at a time. Each tick it
 * - queues again the deliveries that have been due for longer than the grace (their job was lost, or an
 *   enqueue after commit failed), walking the backlog page by page from where the last tick stopped;
 * - queues again the deliveries whose worker died mid-attempt (lease expired);
 * - moves on ordering lines whose head ended without releasing the next one (an expunge), never queueing a
 *   delivery that waits behind a live head (waiting deliveries have no due time, so the walk above skips them);
 * - moves on endpoint verifications that a crash left pending: a challenge never sent is sent, one whose
 *   delivery ended without settling the endpoint settles it (docs/verification.md#crashes);
 * - carries out the outbox: operational webhooks and tenant purges;
 * - deletes expired `Idempotency-Key` entries (a bounded number per tick), so the table holds about one day
 *   of keys, not every key ever sent.
 * A delivery's job id carries its fence, so queueing one that is still queued is harmless, and one that was
 * claimed meanwhile has a new fence and is not queued twice.
 */
@Injectable()
export class ReconcilerService {
  private cursor: DueCursor | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: OutboxService,
    private readonly metrics: Metrics,
    private readonly idempotencyKeys: IdempotencyRepository,
    private readonly verification: EndpointVerificationService,
  ) {}

  async tick(): Promise<ReconcileReport> {
    const requeued = await this.locks.exclusively('hookrelay:reconciler', () => this.requeue());
    if (requeued) this.metrics.reconcilerRequeued.inc(requeued);
    const outbox = await this.outbox.drain();
    const idempotencyKeysPurged = await this.purgeIdempotencyKeys();
    return { requeued: requeued ?? 0, outbox, scanned: requeued !== undefined, idempotencyKeysPurged };
  }

  private async purgeIdempotencyKeys(): Promise<number> {
    let purged = 0;
    while (purged < IDEMPOTENCY_PURGE_PER_TICK) {
      const deleted = await this.idempotencyKeys.deleteExpired(PAGE);
      purged += deleted;
      if (deleted < PAGE) break;
    }
    return purged;
  }

  private async requeue(): Promise<number> {
    // While Redis is down there is nothing to do; the walk resumes where it was once Redis is back.
    if (!this.jobs.ready) return 0;
    const expired = await this.deliveries.findExpiredLeases(PAGE);
    let requeued = (await this.jobs.enqueueDeliveries(expired, 'reconciler')) ? expired.length : 0;
    // Ordering lines left with waiting deliveries and no head: the first one becomes the head and is queued.
    const stalled = await this.deliveries.findStalledLines(this.config.reconciler.graceMs, PAGE);
    const released = await this.deliveries.releaseLines(stalled);
    if (await this.jobs.enqueueDeliveries(released, 'reconciler')) requeued += released.length;
    await this.verification.repairStranded(this.config.reconciler.graceMs);
    for (let page = 0; page < PAGES_PER_TICK; page++) {
      const due = await this.deliveries.findDue(this.config.reconciler.graceMs, this.cursor, PAGE);
      // Most of a long backlog is still queued, waiting its turn: only the deliveries without a job are added.
      const added = await this.jobs.enqueueMissingDeliveries(due, 'reconciler');
      if (added === null) return requeued;
      requeued += added;
      const last = due[due.length - 1];
      // The end of the backlog: the next walk starts from its beginning again.
      this.cursor = last && due.length === PAGE ? { nextAttemptAt: last.nextAttemptAt, id: last.id } : null;
      if (!this.cursor) break;
    }
    return requeued;
  }
}
