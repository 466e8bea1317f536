import { Injectable } from '@nestjs/common';
import { EndpointRepository, IngestResult, MessageRepository, NewMessage } from '@app/db';
import { DomainError, endpointWantsMessage, newId } from '@app/domain';
import { JobProducer } from '@app/queue';

export interface MessageToSend {
  eventType: string;
  /** The exact JSON text of the payload, as it will be signed and sent. */
  payload: string;
  eventId?: string | null;
  channels?: string[] | null;
  tags?: string[] | null;
  deliverAt?: Date | null;
  /** Same-key messages reach each endpoint one at a time, in accept order (docs/ordering.md). */
  orderingKey?: string | null;
  /** Send to this enabled endpoint only, whatever its filters (send-example), instead of fanning out. */
  onlyEndpointId?: string;
}

export interface SentMessage {
  id: string;
  createdAt: Date;
  deliveryCount: number;
}

/**
 * Persist, then enqueue, then answer (CONVENTIONS rule 3). The message and one delivery per matching
 * endpoint are committed in one transaction; only then are their first attempts queued. If Redis refuses
 * the jobs, or is down, the message is still durable and the reconciler queues them later: the caller's 202
 * holds, and it does not wait for Redis.
 */
@Injectable()
export class MessageIngestService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly endpoints: EndpointRepository,
    private readonly jobs: JobProducer,
  ) {}

  async send(tenantId: string, applicationId: string, input: MessageToSend): Promise<SentMessage> {
    const [result] = await this.sendBatch(tenantId, applicationId, [input]);
    if (!result) throw new Error('ingest returned no result');
    if (!result.created) {
      throw DomainError.conflict(
        'conflict',
        'A message with this eventId already exists in this application.',
        {
          id: result.existingMessageId,
        },
      );
    }
    return { id: result.messageId, createdAt: result.createdAt, deliveryCount: result.deliveries.length };
  }

  /** Several messages of one application in one transaction and one enqueue. */
  async sendBatch(
    tenantId: string,
    applicationId: string,
    inputs: MessageToSend[],
  ): Promise<(IngestResult & { createdAt: Date })[]> {
    const targets = await this.endpoints.findActiveForApplication(tenantId, applicationId);
    const now = new Date();
    const batch: NewMessage[] = inputs.map((input) => {
      const channels = input.channels ?? [];
      const matched = targets.filter((endpoint) =>
        input.onlyEndpointId !== undefined
          ? endpoint.id === input.onlyEndpointId
          : endpointWantsMessage(endpoint, { eventType: input.eventType, channels }),
      );
      return {
        id: newId('message', now.getTime()),
        tenantId,
        applicationId,
        eventType: input.eventType,
        eventId: input.eventId ?? null,
        payload: input.payload,
        channels,
        tags: input.tags ?? [],
        deliverAt: input.deliverAt ?? null,
        createdAt: now,
        orderingKey: input.orderingKey ?? null,
        deliveries: matched.map((endpoint) => ({
          id: newId('delivery', now.getTime()),
          endpointId: endpoint.id,
        })),
      };
    });
    const results = await this.messages.ingest(batch);
    await this.enqueueFirstAttempts(results);
    return results.map((r) => ({ ...r, createdAt: now }));
  }

  private async enqueueFirstAttempts(results: IngestResult[]): Promise<void> {
    const deliveries = results.flatMap((r) =>
      r.created
        ? r.deliveries.map((d) => ({
            id: d.id,
            fence: 0,
            tenantId: r.tenantId,
            applicationId: r.applicationId,
            endpointId: d.endpointId,
            dueAt: d.dueAt,
          }))
        : [],
    );
    await this.jobs.enqueueDeliveries(deliveries, 'ingest');
  }
}
