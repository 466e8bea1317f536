import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DeliveryRepository } from '@app/db';
import { deliveryJobId, JobProducer } from '@app/queue';

const SWEEP_BATCH = 1000;

/**
 * Nothing is lost between PostgreSQL and Redis: deliveries that are due but not queued (Redis restarted
 * or flushed, an enqueue failed after commit) or `sending` with an expired lease (the worker died) are
 * queued again. The job id is the same as the original's, so a job that still exists is not duplicated.
 */
@Injectable()
export class DeliverySweeperService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  async sweep(): Promise<number> {
    const due = await this.deliveries.findDue(this.config.sweeper.graceMs, SWEEP_BATCH);
    if (due.length === 0) return 0;
    await this.jobs.enqueueBulk(
      due.map((d) => ({
        name: 'DeliveryAttemptV1' as const,
        data: { deliveryId: d.id, attempt: d.attemptCount, trigger: 'scheduled' as const },
        jobId: deliveryJobId(d.id, d.attemptCount),
      })),
    );
    return due.length;
  }
}
