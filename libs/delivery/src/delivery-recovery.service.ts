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

/** The most deliveries one recover or replay-missing task sends (Svix's limit); calling again continues. */
export const RECOVERY_LIMIT = 10_000;

/**
 * Manual sending: resend one message to one endpoint, recover an endpoint's failed deliveries, replay the
 * messages an endpoint never got. Recover and replay run as background tasks (BackgroundTaskRunner), one step
 * at a time; each step is persisted, then queued, as at ingest.
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

  /**
   * One step of recover: re-sends up to `limit` of the endpoint's failed deliveries of messages created in the
   * window, after `afterId`. Returns how many, and the cursor for the next step (null when none were left).
   */
  async recoverStep(
    tenantId: string,
    endpointId: string,
    window: RecoveryWindow,
    afterId: string | null,
    limit: number,
  ): Promise<{ sent: number; cursor: string | null }> {
    const batch = await this.deliveries.reopenFailed(tenantId, endpointId, window, afterId, limit);
    if (batch.length === 0) return { sent: 0, cursor: null };
    await this.jobs.enqueueDeliveries(batch, 'recover');
    // A recovered delivery that fails again must not be picked up twice by this task.
    const cursor = batch.reduce((max, d) => (d.id > max ? d.id : max), batch[0]!.id);
    return { sent: batch.length, cursor: batch.length < limit ? null : cursor };
  }

  /**
   * One step of replay-missing: creates and sends deliveries to the endpoint for up to `limit` messages of the
   * window (after `afterId`) it never got one for, as fan-out would have routed them (its event-type and channel
   * filters apply). Returns how many were sent and the cursor for the next step (null at the end).
   */
  async replayStep(
    tenantId: string,
    endpoint: ReplayTarget,
    window: RecoveryWindow,
    afterId: string | null,
    limit: number,
  ): Promise<{ sent: number; cursor: string | null }> {
    const routing = { eventTypes: endpoint.filterTypes, channels: endpoint.channels, disabled: false };
    const messages = await this.deliveries.findMessagesWithoutDelivery(
      tenantId,
      endpoint.applicationId,
      endpoint.id,
      window,
      afterId,
      limit,
    );
    const last = messages[messages.length - 1];
    if (!last) return { sent: 0, cursor: null };
    const now = new Date();
    const wanted = messages
      .filter((m) => endpointWantsMessage(routing, m))
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
    return { sent: created.length, cursor: messages.length < limit ? null : last.id };
  }
}
