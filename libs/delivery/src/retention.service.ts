import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { AdvisoryLocks, RetentionBatch, RetentionRepository } from '@app/db';
import { idFloor } from '@app/domain';
import { Metrics } from './metrics';

const DAY_MS = 86_400_000;

export interface RetentionReport extends RetentionBatch {
  /** Batches run this tick (each one candidate page and one delete statement). */
  batches: number;
  /** The longest batch, in milliseconds. */
  slowestBatchMs: number;
  /** The whole tick, in milliseconds. */
  elapsedMs: number;
  /** False when another worker held the lock. */
  ran: boolean;
  /** True when the walk reached the end of the old messages (the next tick starts again from the oldest). */
  walkedAll: boolean;
}

/**
 * Deletes what has outlived its tenant's retention (see RetentionRepository for what is kept). Message ids
 * are time-ordered, so everything that can be due lies below the id floor of "now minus the shortest
 * retention": the walk goes through that range in primary-key order, RETENTION_BATCH_SIZE ids at a time, at
 * most RETENTION_MAX_BATCHES per tick, and carries on from where it stopped at the next tick. One worker at a
 * time runs it (PostgreSQL advisory lock), as the reconciler.
 */
@Injectable()
export class RetentionService {
  private cursor = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly retention: RetentionRepository,
    private readonly locks: AdvisoryLocks,
    private readonly metrics: Metrics,
  ) {}

  async tick(): Promise<RetentionReport> {
    const report = await this.locks.exclusively('hookrelay:retention', () => this.walk());
    return (
      report ?? {
        messages: 0,
        deliveries: 0,
        attempts: 0,
        batches: 0,
        slowestBatchMs: 0,
        elapsedMs: 0,
        ran: false,
        walkedAll: false,
      }
    );
  }

  private async walk(): Promise<RetentionReport> {
    const tickStarted = performance.now();
    const { batchSize, maxBatches } = this.config.retention;
    const days = await this.retention.shortestRetentionDays();
    const horizon = idFloor('message', Date.now() - days * DAY_MS);
    const report: RetentionReport = {
      messages: 0,
      deliveries: 0,
      attempts: 0,
      batches: 0,
      slowestBatchMs: 0,
      elapsedMs: 0,
      ran: true,
      walkedAll: false,
    };
    while (report.batches < maxBatches) {
      const started = performance.now();
      const ids = await this.retention.messageIdsBetween(this.cursor, horizon, batchSize);
      const deleted = await this.retention.deleteExpired(ids);
      report.batches++;
      report.slowestBatchMs = Math.max(report.slowestBatchMs, performance.now() - started);
      report.messages += deleted.messages;
      report.deliveries += deleted.deliveries;
      report.attempts += deleted.attempts;
      this.metrics.retentionDeleted.inc({ table: 'messages' }, deleted.messages);
      this.metrics.retentionDeleted.inc({ table: 'deliveries' }, deleted.deliveries);
      this.metrics.retentionDeleted.inc({ table: 'attempts' }, deleted.attempts);
      if (ids.length < batchSize) {
        // The end of the old range: the next walk starts from the oldest message again.
        this.cursor = '';
        report.walkedAll = true;
        break;
      }
      this.cursor = ids[ids.length - 1]!;
    }
    report.elapsedMs = Math.round(performance.now() - tickStarted);
    report.slowestBatchMs = Math.round(report.slowestBatchMs);
    return report;
  }
}
