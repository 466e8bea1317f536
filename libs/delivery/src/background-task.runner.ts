import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  BackgroundTaskRecord,
  BackgroundTaskRepository,
  DeadLetterFilter,
  DeadLetterRepository,
  DeliveryRepository,
} from '@app/db';
import { newId } from '@app/domain';
import { JobProducer } from '@app/queue';
import { DeliveryRecoveryService, RECOVERY_LIMIT, ReplayTarget } from './delivery-recovery.service';

/** What the API stores in `params` for each task (dates as ISO strings, ids resolved). */
export interface RecoverParams {
  endpointId: string;
  since: string;
  until: string | null;
}

export interface ReplayParams extends ReplayTarget {
  since: string;
  until: string | null;
}

export interface RedriveParams {
  filter: Omit<DeadLetterFilter, 'since' | 'until'> & { since: string; until: string };
  /** Another endpoint of the same application to send to; absent: each dead letter's own endpoint. */
  toEndpointId?: string | null;
}

/** Progress of recover and replay (Svix's `data`). */
export interface SentProgress {
  messagesSent: number;
}

/** Progress of a redrive: `processed` of `total` dead letters handled, `redriven` of them sent again. */
export interface RedriveProgress {
  total: number;
  processed: number;
  redriven: number;
}

/**
 * Runs background tasks one bounded step at a time: the outbox (kind `background_task`) hands a task to a
 * worker, which runs up to `stepsPerPass` steps and gives it back if it is not over. Every step saves its cursor
 * and progress after its deliveries are reopened, so a step run again after a crash finds them no longer failed
 * (or, for replay, already delivered) and does not send them twice.
 */
@Injectable()
export class BackgroundTaskRunner {
  private readonly logger = new Logger(BackgroundTaskRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tasks: BackgroundTaskRepository,
    private readonly recovery: DeliveryRecoveryService,
    private readonly deadLetters: DeadLetterRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  /** Runs some steps of the task; true once it is over (finished, failed, or gone). */
  async runSome(taskId: string): Promise<boolean> {
    for (let i = 0; i < this.config.backgroundTasks.stepsPerPass; i++) {
      const task = await this.tasks.findForRun(taskId);
      if (!task || task.status !== 'running') return true;
      if (await this.step(task)) return true;
    }
    return false;
  }

  /** Marks the task failed (the outbox gave up on it or it cannot run). */
  async fail(taskId: string, error: string): Promise<void> {
    const task = await this.tasks.findForRun(taskId);
    if (task)
      await this.tasks.saveStep(taskId, { cursor: task.cursor, data: task.data, status: 'failed', error });
  }

  /** One step; true when the task is over. */
  private async step(task: BackgroundTaskRecord): Promise<boolean> {
    const batch = this.config.backgroundTasks.batchSize;
    if (task.task === 'dead-letter.redrive') return this.redriveStep(task, batch);
    const data = task.data as unknown as SentProgress;
    const remaining = RECOVERY_LIMIT - data.messagesSent;
    const limit = Math.min(batch, remaining);
    let result: { sent: number; cursor: string | null };
    if (task.task === 'endpoint.recover') {
      const p = task.params as unknown as RecoverParams;
      result = await this.recovery.recoverStep(task.tenantId, p.endpointId, window(p), task.cursor, limit);
    } else {
      const p = task.params as unknown as ReplayParams;
      result = await this.recovery.replayStep(task.tenantId, p, window(p), task.cursor, limit);
    }
    const messagesSent = data.messagesSent + result.sent;
    const done = result.cursor === null || messagesSent >= RECOVERY_LIMIT;
    await this.tasks.saveStep(task.id, {
      cursor: result.cursor,
      data: { messagesSent },
      ...(done ? { status: 'finished' as const } : {}),
    });
    return done;
  }

  private async redriveStep(task: BackgroundTaskRecord, batch: number): Promise<boolean> {
    const p = task.params as unknown as RedriveParams;
    const data = task.data as unknown as RedriveProgress;
    const filter: DeadLetterFilter = {
      ...p.filter,
      since: new Date(p.filter.since),
      until: new Date(p.filter.until),
    };
    const refs = await this.deadLetters.nextToRedrive(task.tenantId, filter, task.cursor, batch);
    let redriven = 0;
    if (refs.length > 0) {
      if (p.toEndpointId) {
        // To another endpoint of the same application: the message gets (or reopens) a delivery there; the
        // dead letter itself stays as it is, the record of what failed.
        const due = [];
        for (const ref of refs) {
          due.push(
            await this.deliveries.reopenForManualAttempt(task.tenantId, {
              applicationId: ref.applicationId,
              messageId: ref.messageId,
              endpointId: p.toEndpointId,
              newId: newId('delivery'),
            }),
          );
        }
        await this.jobs.enqueueDeliveries(due, 'redrive');
        redriven = due.length;
      } else {
        const due = await this.deadLetters.reopen(
          task.tenantId,
          refs.map((r) => r.id),
        );
        await this.jobs.enqueueDeliveries(due, 'redrive');
        redriven = due.length;
      }
    }
    const done = refs.length < batch;
    const processed = data.processed + refs.length;
    await this.tasks.saveStep(task.id, {
      cursor: refs[refs.length - 1]?.id ?? task.cursor,
      // Dead letters that appeared in the range after the count still count, so the total never ends short.
      data: { total: Math.max(data.total, processed), processed, redriven: data.redriven + redriven },
      ...(done ? { status: 'finished' as const } : {}),
    });
    if (done) this.logger.log({ taskId: task.id, processed }, 'dead-letter redrive finished');
    return done;
  }
}

function window(p: { since: string; until: string | null }): { since: Date; until: Date | null } {
  return { since: new Date(p.since), until: p.until ? new Date(p.until) : null };
}
