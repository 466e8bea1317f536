import { Injectable, Logger } from '@nestjs/common';
import { OutboxEvent, OutboxRepository, TenantRepository } from '@app/db';
import { OperationalEventsService } from './operational-events.service';
import { BackgroundTaskRunner } from './background-task.runner';

/** Rows taken per pass, and how long a worker holds them. */
const TAKE = 100;
const HOLD_MS = 60_000;
/** A purge removes at most this many rows per statement, and this many statements per pass. */
const PURGE_BATCH = 2_000;
const PURGE_STEPS_PER_PASS = 20;
/** A background task whose steps keep throwing is marked failed after this many takes. */
const TASK_MAX_ATTEMPTS = 10;

/**
 * Carries out the outbox (see OutboxRepository): operational webhooks become messages, deleted tenants are
 * purged in bounded steps, background tasks run a few steps per pass (BackgroundTaskRunner). Run by the reconciler every tick, and nudged right after an attempt raised an
 * event so operational webhooks do not wait for the next tick.
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger(OutboxService.name);
  private running: Promise<number> | undefined;
  private again = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly tenants: TenantRepository,
    private readonly operational: OperationalEventsService,
    private readonly tasks: BackgroundTaskRunner,
  ) {}

  /** One pass over what is available now; returns how many rows it completed. Never runs twice at once. */
  drain(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.drainSoon();
      }
    });
    return this.running;
  }

  /** Starts a pass without waiting for it; a failure is logged (the reconciler's next tick tries again). */
  drainSoon(): void {
    this.drain().catch((error: unknown) => this.logger.warn({ err: error }, 'outbox pass failed'));
  }

  private async pass(): Promise<number> {
    let completed = 0;
    for (;;) {
      const rows = await this.outbox.take(TAKE, HOLD_MS);
      for (const row of rows) {
        if (await this.carryOut(row)) completed++;
      }
      if (rows.length < TAKE) return completed;
    }
  }

  private async carryOut(row: OutboxEvent): Promise<boolean> {
    try {
      if (row.kind === 'operational_webhook') {
        await this.operational.send(row.tenantId, row.id, row.payload);
      } else if (row.kind === 'background_task') {
        if (!(await this.tasks.runSome(taskIdOf(row)))) {
          // Not over: back for the next pass, so one long task does not hold a worker.
          await this.outbox.handBack(row.id);
          return false;
        }
      } else if (!(await this.purgeSome(row.tenantId))) {
        // More to remove: give the row back for the next pass, so one big tenant does not hold a worker.
        await this.outbox.release(row.id, 0);
        return false;
      }
      await this.outbox.complete(row.id);
      return true;
    } catch (error) {
      if (row.kind === 'background_task' && row.attempts >= TASK_MAX_ATTEMPTS) {
        this.logger.error({ err: error, outboxId: row.id }, 'background task failed for good');
        await this.tasks.fail(taskIdOf(row), error instanceof Error ? error.message : String(error));
        await this.outbox.complete(row.id);
        return false;
      }
      const delayMs = Math.min(1_000 * 2 ** Math.min(row.attempts, 8), 300_000);
      this.logger.warn({ err: error, outboxId: row.id, kind: row.kind }, 'outbox row failed; will retry');
      await this.outbox.release(row.id, delayMs, error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** True once the tenant is gone. */
  private async purgeSome(tenantId: string): Promise<boolean> {
    for (let step = 0; step < PURGE_STEPS_PER_PASS; step++) {
      const { done, table, removed } = await this.tenants.purgeStep(tenantId, PURGE_BATCH);
      if (done) {
        this.logger.log({ tenantId }, 'tenant purge finished');
        return true;
      }
      this.logger.debug({ tenantId, table, removed }, 'tenant purge step');
    }
    return false;
  }
}

function taskIdOf(row: OutboxEvent): string {
  return (JSON.parse(row.payload) as { taskId: string }).taskId;
}
