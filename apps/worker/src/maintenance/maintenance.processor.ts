import { Inject } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import { QUEUES } from '@app/queue';
import { JOB_HANDLERS, type JobHandlers } from '../jobs/job-handlers';
import { RegistryWorkerHost } from '../jobs/registry-worker-host';

@Processor(QUEUES.maintenance, { concurrency: 2 })
export class MaintenanceProcessor extends RegistryWorkerHost {
  static readonly queue = QUEUES.maintenance;

  constructor(@Inject(JOB_HANDLERS) handlers: JobHandlers) {
    super(handlers);
  }
}
