import { Injectable } from '@nestjs/common';
import { DeliveryRepository } from '@app/db';
import { endpointWantsMessage, newId } from '@app/domain';
import { JobProducer } from '@app/queue';

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
 * A manual attempt never rewinds history. The delivery is reopened in PostgreSQL first: pending, due now, on a
 * fresh retry schedule, with its attempt count going on and its fence moved, so jobs of the old schedule and
 * an attempt still in flight no longer move it (the attempt in flight still writes its row), and the new job's
 * id is new. If the enqueue fails, the reconciler queues the due delivery.
 */
@Injectable()
export class DeliveryRecoveryService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobProducer,
  ) {}

  /**
   * One more attempt of the message to the endpoint now, whatever the delivery's state, creating the
   * delivery if the message never had one for this endpoint (filters do not apply to a manual resend). A
   * delivery waiting in its ordering line keeps its place (docs/ordering.md).
   */
  async resend(
    tenantId: string,
    pair: { applicationId: string; messageId: string; endpointId: string },
  ): Promise<void> {
    const due = await this.deliveries.reopenForManualAttempt(tenantId, { ...pair, newId: newId('delivery') });
    // A delivery waiting in its ordering line is queued by the line when its turn comes.
    if (!due.waiting) await this.jobs.enqueueDeliveries([due], 'resend');
  }

  /** Re-sends the endpoint's failed deliveries of messages created in the window; returns how many. */
  async recover(tenantId: string, endpointId: string, window: RecoveryWindow): Promise<number> {
    let sent = 0;
    let afterId: string | null = null;
    while (sent < RECOVERY_LIMIT) {
      const size = Math.min(BATCH, RECOVERY_LIMIT - sent);
      const batch = await this.deliveries.reopenFailed(tenantId, endpointId, window, afterId, size);
      if (batch.length === 0) break;
      await this.jobs.enqueueDeliveries(batch, 'recover');
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
      await this.jobs.enqueueDeliveries(
        created.map((d) => ({ ...d, dueAt: d.nextAttemptAt })),
        'replay-missing',
      );
      sent += created.length;
      if (messages.length < BATCH) break;
    }
    return sent;
  }
}
