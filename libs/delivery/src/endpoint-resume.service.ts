import { Injectable, Logger } from '@nestjs/common';
import { DeliveryRepository } from '@app/db';
import { deliveryJobId, JobProducer } from '@app/queue';

/**
 * Re-enabling an endpoint resumes it (SPEC §4): the deliveries that came due while it was disabled were
 * parked (pending, no due time) and are made due and queued again, each where it left off. Messages sent
 * while it was disabled were never routed to it and stay skipped, as in Svix.
 */
@Injectable()
export class EndpointResumeService {
  private readonly logger = new Logger(EndpointResumeService.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  /** Call once the endpoint is enabled; returns how many parked deliveries were resumed. */
  async resumeParked(tenantId: string, endpointId: string): Promise<number> {
    const due = await this.deliveries.resumeParked(tenantId, endpointId);
    if (due.length === 0) return 0;
    try {
      await this.jobs.enqueueBulk(
        due.map((d) => ({
          name: 'DeliveryAttemptV1' as const,
          data: { deliveryId: d.id, attempt: d.attemptCount, trigger: 'scheduled' as const },
          jobId: deliveryJobId(d.id, d.attemptCount),
        })),
      );
    } catch (error) {
      // They are due in PostgreSQL already: the sweeper queues them if Redis refused.
      this.logger.warn(
        { err: error, tenantId, endpointId, deliveries: due.length },
        'could not queue resumed deliveries; the sweeper will',
      );
    }
    return due.length;
  }
}
