import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { JobProducer, QUEUES } from '@app/queue';

/**
 * Registers the sweeper as a BullMQ job scheduler: one schedule per queue however many workers run, and
 * it survives restarts because it lives in Redis (and is re-registered here if Redis lost it).
 */
@Injectable()
export class SweeperScheduler implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs
      .queue(QUEUES.maintenance)
      .upsertJobScheduler(
        'sweep-deliveries',
        { every: this.config.sweeper.intervalMs },
        { name: 'SweepDeliveriesV1', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
  }
}
