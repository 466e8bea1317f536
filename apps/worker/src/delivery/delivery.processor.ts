import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { QUEUES } from '@app/queue';
import { JOB_HANDLERS, type JobHandlers } from '../jobs/job-handlers';
import { RegistryWorkerHost } from '../jobs/registry-worker-host';

/** Delivery attempts. Concurrency is WORKER_CONCURRENCY: attempts mostly wait on receivers' I/O. */
@Processor(QUEUES.delivery)
export class DeliveryProcessor extends RegistryWorkerHost implements OnApplicationBootstrap {
  static readonly queue = QUEUES.delivery;

  constructor(
    @Inject(JOB_HANDLERS) handlers: JobHandlers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(handlers);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.worker.concurrency;
  }
}
