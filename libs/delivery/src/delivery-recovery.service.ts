import { Injectable, Logger } from '@nestjs/common';
import { ulid } from 'ulid';
import { DeliveryRepository, DueDelivery } from '@app/db';
import { endpointWantsMessage, newId } from '@app/domain';
import { deliveryJobId, EnqueueRequest, JobProducer, manualDeliveryJobId } from '@app/queue';

/** Messages created in [since, until); no `until` means up to now. */
export interface RecoveryWindow {
  since: Date;
  until?: Date | null;
}

/** The endpoint replay-missing sends to, with the filters fan-out applies. */
export interface ReplayTarget {
  id: string;
  applicationId: string;
  filterTypes: string[];
  channels: string[];
}

/** The most deliveries one recover or replay-missing request sends (Svix's limit); calling again continues. */
export const RECOVERY_LIMIT = 10_000;
const BATCH = 500;

/**
 * Manual sending: resend one message to one endpoint, recover an endpoint's failed deliveries, replay the
 * messages an endpoint never got. The work is done within the request, in batches, so the answer can say
 * `finished` with a count; each batch is persisted, then queued, as at ingest.
 *
 * Design of a manual attempt. The delivery is reopened in PostgreSQL first: pending, due now, attempt count
 * reset to 0, so a resent or recovered delivery gets a fresh retry schedule and its state (what the sweeper
 * and the API read) is right even if Redis loses the job. Attempt 0 is then queued with trigger `manual`
 * under a job id unique to the request (`manualDeliveryJobId`), because the delivery's own `…-a0` job may
 * still exist (a first attempt delayed by `deliverAt`) and BullMQ would drop a second job with its id.
 * Stale jobs of the old schedule do nothing: `claim` requires the delivery's attempt count to equal the
 * job's. If the enqueue fails, the sweeper queues the due delivery (as `scheduled`).
 */
@Injectable()
export class DeliveryRecoveryService {
  private readonly logger = new Logger(DeliveryRecoveryService.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  /**
   * One more attempt of the message to the endpoint now, whatever the delivery's state, creating the
   * delivery if the message never had one for this endpoint (filters do not apply to a manual resend).
   */
  async resend(
    tenantId: string,
    pair: { applicationId: string; messageId: string; endpointId: string },
  ): Promise<void> {
    const due = await this.deliveries.reopenForManualAttempt(tenantId, { ...pair, newId: newId('delivery') });
    await this.enqueue([due].map((d) => this.manualJob(d, ulid())));
  }

  /** Re-sends the endpoint's failed deliveries of messages created in the window; returns how many. */
  async recover(tenantId: string, endpointId: string, window: RecoveryWindow): Promise<number> {
    const requestId = ulid();
    let sent = 0;
    let afterId: string | null = null;
    while (sent < RECOVERY_LIMIT) {
      const size = Math.min(BATCH, RECOVERY_LIMIT - sent);
      const batch = await this.deliveries.reopenFailed(tenantId, endpointId, window, afterId, size);
      if (batch.length === 0) break;
      await this.enqueue(batch.map((d) => this.manualJob(d, requestId)));
      sent += batch.length;
      // A recovered delivery that fails again must not be picked up twice by this request.
      afterId = batch.reduce((max, d) => (d.id > max ? d.id : max), batch[0]!.id);
      if (batch.length < size) break;
    }
    return sent;
  }

  /**
   * Creates and sends deliveries to the endpoint for the messages in the window it never got one for, as
   * fan-out would have routed them (its event-type and channel filters apply). Returns how many.
   */
  async replayMissing(tenantId: string, endpoint: ReplayTarget, window: RecoveryWindow): Promise<number> {
    const routing = { eventTypes: endpoint.filterTypes, channels: endpoint.channels, disabled: false };
    let sent = 0;
    let afterId: string | null = null;
    while (sent < RECOVERY_LIMIT) {
      const messages = await this.deliveries.findMessagesWithoutDelivery(
        tenantId,
        endpoint.applicationId,
        endpoint.id,
        window,
        afterId,
        BATCH,
      );
      const last = messages[messages.length - 1];
      if (!last) break;
      afterId = last.id;
      const now = new Date();
      const wanted = messages
        .filter((m) => endpointWantsMessage(routing, m))
        .slice(0, RECOVERY_LIMIT - sent)
        .map((m) => ({
          id: newId('delivery', now.getTime()),
          messageId: m.id,
          // A message still scheduled for later is replayed at its time, not before.
          nextAttemptAt: m.deliverAt && m.deliverAt > now ? m.deliverAt : now,
        }));
      const created = await this.deliveries.createForEndpoint(
        tenantId,
        endpoint.applicationId,
        endpoint.id,
        wanted,
      );
      await this.enqueue(
        created.map((d) => ({
          name: 'DeliveryAttemptV1' as const,
          data: { deliveryId: d.id, attempt: 0, trigger: 'manual' as const },
          // A new delivery has no earlier job: its ordinary first-attempt id, which the sweeper also uses.
          jobId: deliveryJobId(d.id, 0),
          options: { delay: Math.max(0, (d.nextAttemptAt ?? now).getTime() - now.getTime()) },
        })),
      );
      sent += created.length;
      if (messages.length < BATCH) break;
    }
    return sent;
  }

  private manualJob(due: DueDelivery, requestId: string): EnqueueRequest<'DeliveryAttemptV1'> {
    return {
      name: 'DeliveryAttemptV1',
      data: { deliveryId: due.id, attempt: due.attemptCount, trigger: 'manual' },
      jobId: manualDeliveryJobId(due.id, due.attemptCount, requestId),
    };
  }

  private async enqueue(jobs: EnqueueRequest<'DeliveryAttemptV1'>[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await this.jobs.enqueueBulk(jobs);
    } catch (error) {
      // Committed as due already: the sweeper queues them if Redis refused.
      this.logger.warn(
        { err: error, deliveries: jobs.length },
        'could not queue manual attempts; the sweeper will',
      );
    }
  }
}
