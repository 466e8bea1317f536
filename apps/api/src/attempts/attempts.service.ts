import { Injectable } from '@nestjs/common';
import {
  ApplicationRepository,
  AttemptLogRecord,
  DeliveryLogRepository,
  DestinationRecord,
  EndpointMessageRecord,
  EndpointRepository,
  mapPage,
  MessageRepository,
  Page,
  PageQuery,
} from '@app/db';
import { DeliveryRecoveryService } from '@app/delivery';
import { DomainError, splitUrlCredentials } from '@app/domain';
import {
  AttemptedMessagesQueryDto,
  AttemptListByEndpointQueryDto,
  AttemptListByMsgQueryDto,
  MESSAGE_STATUS,
  messageEndpointOutSchema,
  MessageStatusName,
  TRIGGER_TYPE,
} from './attempt.dto';
import type { HandlerOut } from '../common/handler-out';
import { toEndpointCoreOut } from '../endpoints/endpoint.out';
import { assertEndpointEnabled } from '../common/endpoint-enabled';
import { MessageOut, toMessageOut } from '../messages/message.out';

interface StatusOut {
  status: number;
  statusText: MessageStatusName;
}

export interface MessageAttemptOut extends StatusOut {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  triggerType: number;
  timestamp: Date;
  msg?: MessageOut;
}

export type MessageEndpointOut = HandlerOut<
  typeof messageEndpointOutSchema,
  'createdAt' | 'updatedAt' | 'nextAttempt'
>;

export interface EndpointMessageOut extends MessageOut, StatusOut {
  nextAttempt: Date | null;
}

/**
 * Svix's message-attempt API. Every path resolves the application (id or uid), then the endpoint (id or
 * uid) or message (id or eventId) inside it, all within the caller's tenant: another tenant's object is
 * not found, exactly like an unknown one.
 */
@Injectable()
export class AttemptsService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly log: DeliveryLogRepository,
    private readonly recovery: DeliveryRecoveryService,
  ) {}

  async listByEndpoint(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    query: AttemptListByEndpointQueryDto,
  ): Promise<Page<MessageAttemptOut>> {
    const { endpoint } = await this.resolveEndpoint(tenantId, appIdOrUid, endpointIdOrUid);
    const page = await this.log.listAttempts(tenantId, { endpointId: endpoint.id }, query, {
      ...attemptFilter(query),
      withMessage: query.with_msg ?? false,
    });
    return mapPage(page, (a) => attemptOut(a, query.with_content ?? true));
  }

  async listByMsg(
    tenantId: string,
    appIdOrUid: string,
    msgIdOrEventId: string,
    query: AttemptListByMsgQueryDto,
  ): Promise<Page<MessageAttemptOut>> {
    const { applicationId, messageId } = await this.resolveMessage(tenantId, appIdOrUid, msgIdOrEventId);
    const endpointId = query.endpoint_id
      ? (await this.endpoints.find(tenantId, applicationId, query.endpoint_id)).id
      : undefined;
    const page = await this.log.listAttempts(
      tenantId,
      { messageId, endpointId },
      query,
      attemptFilter(query),
    );
    return mapPage(page, (a) => attemptOut(a, query.with_content ?? true));
  }

  async get(
    tenantId: string,
    appIdOrUid: string,
    msgIdOrEventId: string,
    attemptId: string,
  ): Promise<MessageAttemptOut> {
    const { messageId } = await this.resolveMessage(tenantId, appIdOrUid, msgIdOrEventId);
    return attemptOut(await this.log.findAttempt(tenantId, messageId, attemptId), true);
  }

  async expungeContent(
    tenantId: string,
    appIdOrUid: string,
    msgIdOrEventId: string,
    attemptId: string,
  ): Promise<void> {
    const { messageId } = await this.resolveMessage(tenantId, appIdOrUid, msgIdOrEventId);
    await this.log.expungeAttemptResponse(tenantId, messageId, attemptId);
  }

  async listAttemptedDestinations(
    tenantId: string,
    appIdOrUid: string,
    msgIdOrEventId: string,
    query: PageQuery,
  ): Promise<Page<MessageEndpointOut>> {
    const { messageId } = await this.resolveMessage(tenantId, appIdOrUid, msgIdOrEventId);
    return mapPage(await this.log.listDestinations(tenantId, messageId, query), destinationOut);
  }

  async listAttemptedMessages(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    query: AttemptedMessagesQueryDto,
  ): Promise<Page<EndpointMessageOut>> {
    const { endpoint } = await this.resolveEndpoint(tenantId, appIdOrUid, endpointIdOrUid);
    const page = await this.log.listEndpointMessages(tenantId, endpoint.id, query, {
      status: query.status,
      eventTypes: query.event_types,
      channel: query.channel,
      tag: query.tag,
      before: query.before,
      after: query.after,
      withContent: query.with_content ?? true,
    });
    return mapPage(page, endpointMessageOut);
  }

  /**
   * One more attempt now, trigger `manual`, even after success or failure; a message the endpoint never had
   * a delivery for (created later, or filtered out) gets one, since filters do not apply to a manual resend.
   * A disabled endpoint is refused (409 `endpoint_disabled`), and so is a message whose content was expunged
   * (409 `message_expunged`): there is nothing left to send.
   */
  async resend(tenantId: string, appIdOrUid: string, msgIdOrEventId: string, endpointIdOrUid: string) {
    const { applicationId, messageId, expungedAt } = await this.resolveMessage(
      tenantId,
      appIdOrUid,
      msgIdOrEventId,
    );
    const endpoint = await this.endpoints.find(tenantId, applicationId, endpointIdOrUid);
    if (expungedAt) {
      throw DomainError.conflict(
        'message_expunged',
        `Message ${messageId} cannot be resent: its content was expunged at ${expungedAt.toISOString()}.`,
      );
    }
    assertEndpointEnabled(endpoint);
    await this.recovery.resend(tenantId, { applicationId, messageId, endpointId: endpoint.id });
    return {};
  }

  private async resolveEndpoint(tenantId: string, appIdOrUid: string, endpointIdOrUid: string) {
    const app = await this.applications.find(tenantId, appIdOrUid);
    return { applicationId: app.id, endpoint: await this.endpoints.find(tenantId, app.id, endpointIdOrUid) };
  }

  private async resolveMessage(tenantId: string, appIdOrUid: string, msgIdOrEventId: string) {
    const app = await this.applications.find(tenantId, appIdOrUid);
    const message = await this.messages.find(tenantId, app.id, msgIdOrEventId);
    return { applicationId: app.id, messageId: message.id, expungedAt: message.expungedAt };
  }
}

function attemptFilter(query: AttemptListByEndpointQueryDto | AttemptListByMsgQueryDto) {
  return {
    status: query.status,
    statusCodes: query.status_code_class,
    eventTypes: query.event_types,
    channel: query.channel,
    tag: query.tag,
    before: query.before,
    after: query.after,
  };
}

function status(name: MessageStatusName): StatusOut {
  return { status: MESSAGE_STATUS[name], statusText: name };
}

/** Svix's MessageOut; payloads are left out (`{}`) where Svix leaves them out. */

function attemptOut(a: AttemptLogRecord, withContent: boolean): MessageAttemptOut {
  return {
    id: a.id,
    msgId: a.messageId,
    endpointId: a.endpointId,
    // No user info, even in a row recorded before it was split off the URL.
    url: splitUrlCredentials(a.url).url,
    // Svix answers `{}` for the response body when content is not asked for.
    response: withContent ? a.response : '{}',
    responseStatusCode: a.responseStatusCode,
    responseDurationMs: a.responseDurationMs,
    ...status(a.status),
    triggerType: TRIGGER_TYPE[a.trigger],
    timestamp: a.createdAt,
    ...(a.message ? { msg: toMessageOut(a.message) } : {}),
  };
}

function destinationOut(d: DestinationRecord): MessageEndpointOut {
  return { ...toEndpointCoreOut(d), ...status(d.status), nextAttempt: d.nextAttemptAt };
}

function endpointMessageOut(m: EndpointMessageRecord): EndpointMessageOut {
  return { ...toMessageOut(m), ...status(m.status), nextAttempt: m.nextAttemptAt };
}
