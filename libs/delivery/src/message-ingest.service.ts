import { Injectable, Logger } from '@nestjs/common';
import { EndpointRepository, IngestResult, MessageRepository, NewMessage } from '@app/db';
import { DomainError, endpointWantsMessage, newId, payloadMatches } from '@app/domain';
import { JobProducer } from '@app/queue';
import { Metrics } from './metrics';

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
  private readonly logger = new Logger(MessageIngestService.name);

  constructor(
    private readonly messages: MessageRepository,
    private readonly endpoints: EndpointRepository,
    private readonly jobs: JobProducer,
    private readonly metrics: Metrics,
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
      // Payload filters run here, in Node, on the cached endpoint list: no query per message. The payload is
      // parsed once per message, and only when an endpoint that wants it by type and channel has a filter.
      let parsed: { value: unknown } | undefined;
      const payload = () => (parsed ??= { value: JSON.parse(input.payload) as unknown }).value;
      const matched = targets.filter((endpoint) =>
        input.onlyEndpointId !== undefined
          ? endpoint.id === input.onlyEndpointId
          : endpointWantsMessage(endpoint, { eventType: input.eventType, channels }) &&
            (endpoint.payloadFilter === null || payloadMatches(endpoint.payloadFilter, payload())),
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
    for (const result of results) {
      if (!result.created) continue;
      this.metrics.messagesAccepted.inc();
      this.metrics.deliveriesCreated.inc(result.deliveries.length);
      // The first line of a message's story; the worker's "delivery attempt" lines carry the same msgId.
      this.logger.log(
        { msgId: result.messageId, appId: applicationId, deliveries: result.deliveries.length },
        'message accepted',
      );
    }
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
