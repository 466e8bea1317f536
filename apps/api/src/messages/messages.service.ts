import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  ApplicationRepository,
  EventTypeRepository,
  ExpungeOutcome,
  mapPage,
  MessageRepository,
  Page,
  TenantRepository,
} from '@app/db';
import { MessageIngestService } from '@app/delivery';
import { DomainError, jsonMemberText, ValidationError } from '@app/domain';
import type { MessageInDto, MessageListQueryDto } from './message.dto';
import { MessageOut, toMessageOut } from './message.out';

@Injectable()
export class MessagesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly applications: ApplicationRepository,
    private readonly messages: MessageRepository,
    private readonly ingest: MessageIngestService,
    private readonly tenants: TenantRepository,
    private readonly eventTypes: EventTypeRepository,
  ) {}

  /**
   * Stores the payload as the exact JSON text the tenant sent (from the raw body), so every attempt signs
   * and sends those bytes. The 202 is given only once the message and its deliveries are committed.
   */
  async create(
    tenantId: string,
    appIdOrUid: string,
    input: MessageInDto,
    rawBody: Buffer | undefined,
    withContent = true,
  ): Promise<MessageOut> {
    const app = await this.resolveApplication(tenantId, appIdOrUid, input);
    await this.checkEventType(tenantId, input.eventType);
    const payload =
      (rawBody && jsonMemberText(rawBody.toString('utf8'), 'payload')) ?? JSON.stringify(input.payload);
    const size = Buffer.byteLength(payload);
    if (size > this.config.limits.maxPayloadBytes) {
      throw new DomainError(
        413,
        'payload_too_large',
        `The payload is ${size} bytes; the limit is ${this.config.limits.maxPayloadBytes} bytes.`,
      );
    }
    const sent = await this.ingest.send(tenantId, app.id, {
      eventType: input.eventType,
      payload,
      eventId: input.eventId,
      channels: input.channels,
      tags: input.tags,
      deliverAt: input.deliverAt,
      orderingKey: input.orderingKey,
    });
    return {
      id: sent.id,
      eventType: input.eventType,
      eventId: input.eventId ?? null,
      payload: withContent ? input.payload : {},
      channels: input.channels ?? null,
      tags: input.tags ?? null,
      deliverAt: input.deliverAt ?? null,
      timestamp: sent.createdAt,
      ...(input.orderingKey ? { orderingKey: input.orderingKey } : {}),
    } satisfies MessageOut;
  }

  async list(tenantId: string, appIdOrUid: string, query: MessageListQueryDto): Promise<Page<MessageOut>> {
    const app = await this.applications.find(tenantId, appIdOrUid);
    const withContent = query.with_content ?? true;
    const page = await this.messages.list(
      tenantId,
      app.id,
      query,
      {
        eventTypes: query.event_types,
        channel: query.channel,
        tag: query.tag,
        before: query.before,
        after: query.after,
      },
      withContent,
    );
    return mapPage(page, (m) => toMessageOut(m, withContent));
  }

  async get(
    tenantId: string,
    appIdOrUid: string,
    msgIdOrEventId: string,
    withContent = true,
  ): Promise<MessageOut> {
    const app = await this.applications.find(tenantId, appIdOrUid);
    return toMessageOut(await this.messages.find(tenantId, app.id, msgIdOrEventId), withContent);
  }

  /**
   * Svix's content expunge: the payload becomes `{}` for good and the deliveries still to come are canceled
   * (see MessageRepository.expunge). Ids or eventIds; ones not in the application are reported `not-found`.
   */
  async expunge(
    tenantId: string,
    appIdOrUid: string,
    idsOrEventIds: readonly string[],
  ): Promise<{ results: Record<string, ExpungeOutcome> }> {
    const app = await this.applications.find(tenantId, appIdOrUid);
    const outcomes = await this.messages.expunge(tenantId, app.id, idsOrEventIds);
    return { results: Object.fromEntries(outcomes) };
  }

  /** The single-message form: 404 when the message is not the application's. */
  async expungeOne(tenantId: string, appIdOrUid: string, msgIdOrEventId: string): Promise<void> {
    const { results } = await this.expunge(tenantId, appIdOrUid, [msgIdOrEventId]);
    if (results[msgIdOrEventId] !== 'expunged') throw DomainError.notFound('Message');
  }

  /** Svix accepts any event type; a tenant can ask for its catalogue to be enforced. */
  private async checkEventType(tenantId: string, eventType: string): Promise<void> {
    if (!(await this.tenants.settings(tenantId)).rejectUnknownEventTypes) return;
    if ((await this.eventTypes.findLiveNames(tenantId, [eventType])).has(eventType)) return;
    throw ValidationError.coded(
      'unknown_event_type',
      ['body', 'eventType'],
      `Event type ${eventType} does not exist; create it first or turn off rejectUnknownEventTypes.`,
    );
  }

  private async resolveApplication(tenantId: string, appIdOrUid: string, input: MessageInDto) {
    const existing = await this.applications.findOptional(tenantId, appIdOrUid);
    if (existing) return existing;
    if (!input.application) throw DomainError.notFound('Application');
    const { rateLimit, throttleRate, ...app } = input.application;
    return this.applications.create(tenantId, {
      ...app,
      uid: app.uid ?? appIdOrUid,
      throttleRate: throttleRate ?? rateLimit ?? null,
    });
  }
}
