import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { DomainError } from '@app/domain';
import { PrismaService } from './prisma.service';
import type { AttemptTrigger, DeliveryStatusName } from './delivery.repository';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';

/** A message as the delivery log shows it next to an attempt or a delivery. */
export interface LoggedMessage {
  id: string;
  eventType: string;
  eventId: string | null;
  /** Null when the caller did not ask for the payload. */
  payload: string | null;
  channels: string[];
  tags: string[];
  deliverAt: Date | null;
  createdAt: Date;
}

export interface AttemptLogRecord {
  id: string;
  messageId: string;
  endpointId: string;
  url: string;
  responseStatusCode: number;
  response: string;
  responseDurationMs: number;
  status: DeliveryStatusName;
  trigger: AttemptTrigger;
  createdAt: Date;
  /** Present when asked for (`withMessage`), without the payload. */
  message?: LoggedMessage;
}

/** Which attempts to list: one endpoint's or one message's (optionally narrowed to one endpoint). */
export type AttemptScope = { endpointId: string } | { messageId: string; endpointId?: string };

export interface AttemptListFilter {
  status?: DeliveryStatusName;
  /** Inclusive range of response status codes (0–99 means "no HTTP response"). */
  statusCodes?: { min: number; max: number };
  eventTypes?: string[];
  channel?: string;
  tag?: string;
  before?: Date;
  after?: Date;
  withMessage?: boolean;
}

/** One endpoint a message was (or is to be) delivered to, with that delivery's state. */
export interface DestinationRecord {
  /** The endpoint's id: destinations are paged by it. */
  id: string;
  uid: string | null;
  url: string;
  description: string;
  version: number;
  disabled: boolean;
  filterTypes: string[];
  channels: string[];
  throttleRate: number | null;
  createdAt: Date;
  updatedAt: Date;
  status: DeliveryStatusName;
  nextAttemptAt: Date | null;
}

/** One message delivered (or to be delivered) to an endpoint, with that delivery's state. */
export interface EndpointMessageRecord extends LoggedMessage {
  status: DeliveryStatusName;
  nextAttemptAt: Date | null;
}

export interface EndpointMessageFilter {
  status?: DeliveryStatusName;
  eventTypes?: string[];
  channel?: string;
  tag?: string;
  before?: Date;
  after?: Date;
  withContent: boolean;
}

export type DeliveryCounts = Record<DeliveryStatusName, number>;

const ATTEMPT_SELECT = {
  id: true,
  messageId: true,
  endpointId: true,
  url: true,
  responseStatusCode: true,
  response: true,
  responseDurationMs: true,
  status: true,
  trigger: true,
  createdAt: true,
} as const;

const MESSAGE_SELECT = {
  id: true,
  eventType: true,
  eventId: true,
  channels: true,
  tags: true,
  deliverAt: true,
  createdAt: true,
} as const;

type AttemptRow = Prisma.DeliveryAttemptGetPayload<{ select: typeof ATTEMPT_SELECT }>;

const attemptNotFound = () => DomainError.notFound('MessageAttempt');

/**
 * Read side of the delivery log (Svix's message-attempt API): attempts, and deliveries seen from a message
 * (its destinations) or from an endpoint (its messages). Every query is scoped by tenant; callers resolve
 * the application, endpoint and message through their repositories first, so ids of another application
 * never reach here.
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Newest first, paged by attempt id. */
  async listAttempts(
    tenantId: string,
    scope: AttemptScope,
    query: PageQuery,
    filter: AttemptListFilter,
  ): Promise<Page<AttemptLogRecord>> {
    const window = pageWindow({ ...query, order: 'descending' });
    const message = messageWhere(filter);
    const rows = await this.prisma.deliveryAttempt.findMany({
      where: {
        tenantId,
        ...('messageId' in scope
          ? { messageId: scope.messageId, ...(scope.endpointId ? { endpointId: scope.endpointId } : {}) }
          : { endpointId: scope.endpointId }),
        ...idRange(window),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.statusCodes
          ? { responseStatusCode: { gte: filter.statusCodes.min, lte: filter.statusCodes.max } }
          : {}),
        ...createdBetween(filter),
        ...(message ? { delivery: { message } } : {}),
      },
      orderBy: { id: window.order },
      take: window.take,
      select: {
        ...ATTEMPT_SELECT,
        ...(filter.withMessage ? { delivery: { select: { message: { select: MESSAGE_SELECT } } } } : {}),
      },
    });
    const records = rows.map((row) => {
      // The select above adds `delivery` only when asked, which Prisma's inferred type cannot follow.
      const { delivery, ...attempt } = row as unknown as AttemptRow & {
        delivery?: { message: Omit<LoggedMessage, 'payload'> };
      };
      return {
        ...toAttempt(attempt),
        ...(delivery ? { message: { ...delivery.message, payload: null } } : {}),
      };
    });
    return toPage(records, query, window);
  }

  async findAttempt(tenantId: string, messageId: string, attemptId: string): Promise<AttemptLogRecord> {
    const row = await this.prisma.deliveryAttempt.findFirst({
      where: { tenantId, messageId, id: attemptId },
      select: ATTEMPT_SELECT,
    });
    if (!row) throw attemptNotFound();
    return toAttempt(row);
  }

  /** Svix's expunge: the response body is replaced by a marker; the rest of the attempt stays. */
  async expungeAttemptResponse(tenantId: string, messageId: string, attemptId: string): Promise<void> {
    const { count } = await this.prisma.deliveryAttempt.updateMany({
      where: { tenantId, messageId, id: attemptId },
      data: { response: 'EXPUNGED' },
    });
    if (count === 0) throw attemptNotFound();
  }

  /** The endpoints a message has a delivery for, newest endpoint first, paged by endpoint id. */
  async listDestinations(
    tenantId: string,
    messageId: string,
    query: PageQuery,
  ): Promise<Page<DestinationRecord>> {
    const window = pageWindow({ ...query, order: 'descending' });
    const rows = await this.prisma.delivery.findMany({
      where: { tenantId, messageId, endpointId: idRange(window).id },
      orderBy: { endpointId: window.order },
      take: window.take,
      select: {
        status: true,
        nextAttemptAt: true,
        endpoint: {
          select: {
            id: true,
            uid: true,
            url: true,
            description: true,
            version: true,
            disabled: true,
            filterTypes: true,
            channels: true,
            throttleRate: true,
            createdAt: true,
            updatedAt: true,
          },
        },
      },
    });
    const records = rows.map(({ endpoint, status, nextAttemptAt }) => ({
      ...endpoint,
      status,
      nextAttemptAt,
    }));
    return toPage(records, query, window);
  }

  /** The messages an endpoint has a delivery for, newest message first, paged by message id. */
  async listEndpointMessages(
    tenantId: string,
    endpointId: string,
    query: PageQuery,
    filter: EndpointMessageFilter,
  ): Promise<Page<EndpointMessageRecord>> {
    const window = pageWindow({ ...query, order: 'descending' });
    const message = messageWhere(filter);
    const created = createdBetween(filter);
    const rows = await this.prisma.delivery.findMany({
      where: {
        tenantId,
        endpointId,
        messageId: idRange(window).id,
        ...(filter.status ? { status: filter.status } : {}),
        ...(message || created.createdAt ? { message: { ...message, ...created } } : {}),
      },
      orderBy: { messageId: window.order },
      take: window.take,
      select: {
        status: true,
        nextAttemptAt: true,
        message: { select: { ...MESSAGE_SELECT, payload: filter.withContent } },
      },
    });
    const records = rows.map(({ message: m, status, nextAttemptAt }) => ({
      ...m,
      payload: (m as { payload?: string }).payload ?? null,
      status,
      nextAttemptAt,
    }));
    return toPage(records, query, window);
  }

  /** Deliveries of an endpoint created in [since, until], by status (Svix's endpoint stats). */
  async countDeliveries(
    tenantId: string,
    endpointId: string,
    since: Date,
    until: Date,
  ): Promise<DeliveryCounts> {
    const rows = await this.prisma.$queryRaw<{ status: DeliveryStatusName; count: number }[]>`
      SELECT status::text AS status, count(*)::integer AS count FROM deliveries
       WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
         AND created_at >= ${since} AND created_at <= ${until}
       GROUP BY status`;
    const counts: DeliveryCounts = { success: 0, pending: 0, sending: 0, fail: 0, canceled: 0 };
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }
}

function messageWhere(filter: {
  eventTypes?: string[];
  channel?: string;
  tag?: string;
}): Prisma.MessageWhereInput | undefined {
  const where: Prisma.MessageWhereInput = {};
  if (filter.eventTypes?.length) where.eventType = { in: filter.eventTypes };
  if (filter.channel) where.channels = { has: filter.channel };
  if (filter.tag) where.tags = { has: filter.tag };
  return Object.keys(where).length > 0 ? where : undefined;
}

function createdBetween(filter: { before?: Date; after?: Date }): { createdAt?: { lt?: Date; gt?: Date } } {
  if (!filter.before && !filter.after) return {};
  return {
    createdAt: {
      ...(filter.before ? { lt: filter.before } : {}),
      ...(filter.after ? { gt: filter.after } : {}),
    },
  };
}

function toAttempt(row: AttemptRow): AttemptLogRecord {
  return { ...row, trigger: row.trigger === 'manual' ? 'manual' : 'scheduled' };
}
