import { Injectable } from '@nestjs/common';
import { DeliveryRepository } from '@app/db';
import { JobProducer } from '@app/queue';

/**
 * Re-enabling an endpoint resumes it (SPEC §4): the deliveries that came due while it was disabled were
 * parked (pending, no due time) and are made due and queued again, each where it left off. Messages sent
 * while it was disabled were never routed to it and stay skipped, as in Svix.
 */
@Injectable()
export class EndpointResumeService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  /** Call once the endpoint is enabled; returns how many parked deliveries were resumed. */
  async resumeParked(tenantId: string, endpointId: string): Promise<number> {
    const due = await this.deliveries.resumeParked(tenantId, endpointId);
    await this.jobs.enqueueDeliveries(due, 'resume');
    return due.length;
  }
}
