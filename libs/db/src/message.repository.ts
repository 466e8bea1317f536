import { Injectable } from '@nestjs/common';
import { DomainError } from '@app/domain';
import { PrismaService } from './prisma.service';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';

/** A message ready to persist, with the endpoints the fan-out matched. Ids come from the application. */
export interface NewMessage {
  id: string;
  tenantId: string;
  applicationId: string;
  eventType: string;
  eventId: string | null;
  /** The exact JSON text to send. */
  payload: string;
  channels: string[];
  tags: string[];
  deliverAt: Date | null;
  createdAt: Date;
  deliveries: { id: string; endpointId: string }[];
}

export type IngestResult =
  | { created: true; messageId: string; deliveries: { id: string; endpointId: string; dueAt: Date }[] }
  | { created: false; messageId: string; existingMessageId: string };

export interface MessageRecord {
  id: string;
  applicationId: string;
  eventType: string;
  eventId: string | null;
  payload: string;
  channels: string[];
  tags: string[];
  deliverAt: Date | null;
  createdAt: Date;
}

export interface MessageListFilter {
  eventTypes?: string[];
  channel?: string;
  tag?: string;
  before?: Date;
  after?: Date;
}

const SELECT = {
  id: true,
  applicationId: true,
  eventType: true,
  eventId: true,
  payload: true,
  channels: true,
  tags: true,
  deliverAt: true,
  createdAt: true,
} as const;

@Injectable()
export class MessageRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The ingest write: messages and one delivery per matched endpoint, in one transaction, so a message
   * is never stored without its deliveries. Takes a batch so callers can group requests. A message whose
   * eventId already exists in its application is not stored; the existing message's id comes back.
   */
  async ingest(batch: NewMessage[]): Promise<IngestResult[]> {
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.message.createManyAndReturn({
        data: batch.map(({ deliveries: _deliveries, ...message }) => message),
        skipDuplicates: true,
        select: { id: true },
      });
      const insertedIds = new Set(inserted.map((m) => m.id));
      const rows = batch
        .filter((m) => insertedIds.has(m.id))
        .flatMap((m) =>
          m.deliveries.map((d) => ({
            id: d.id,
            tenantId: m.tenantId,
            applicationId: m.applicationId,
            messageId: m.id,
            endpointId: d.endpointId,
            nextAttemptAt: m.deliverAt ?? m.createdAt,
          })),
        );
      if (rows.length > 0) await tx.delivery.createMany({ data: rows });

      const results: IngestResult[] = [];
      for (const m of batch) {
        if (insertedIds.has(m.id)) {
          const dueAt = m.deliverAt ?? m.createdAt;
          results.push({
            created: true,
            messageId: m.id,
            deliveries: m.deliveries.map((d) => ({ ...d, dueAt })),
          });
          continue;
        }
        const existing = await tx.message.findFirst({
          where: { applicationId: m.applicationId, eventId: m.eventId },
          select: { id: true },
        });
        if (!existing) throw new Error(`message ${m.id} was neither inserted nor a duplicate`);
        results.push({ created: false, messageId: m.id, existingMessageId: existing.id });
      }
      return results;
    });
  }

  async find(tenantId: string, applicationId: string, idOrEventId: string): Promise<MessageRecord> {
    const row = await this.prisma.message.findFirst({
      where: idOrEventId.startsWith('msg_')
        ? { tenantId, applicationId, id: idOrEventId }
        : { tenantId, applicationId, eventId: idOrEventId },
      select: SELECT,
    });
    if (!row) throw DomainError.notFound('Message');
    return row;
  }

  /** Newest first by default, as Svix lists messages. */
  async list(
    tenantId: string,
    applicationId: string,
    query: PageQuery,
    filter: MessageListFilter,
  ): Promise<Page<MessageRecord>> {
    const window = pageWindow({ ...query, order: query.order ?? 'descending' });
    const rows = await this.prisma.message.findMany({
      where: {
        tenantId,
        applicationId,
        ...idRange(window),
        ...(filter.eventTypes?.length ? { eventType: { in: filter.eventTypes } } : {}),
        ...(filter.channel ? { channels: { has: filter.channel } } : {}),
        ...(filter.tag ? { tags: { has: filter.tag } } : {}),
        ...(filter.before || filter.after
          ? {
              createdAt: {
                ...(filter.before ? { lt: filter.before } : {}),
                ...(filter.after ? { gt: filter.after } : {}),
              },
            }
          : {}),
      },
      orderBy: { id: window.order },
      take: window.take,
      select: SELECT,
    });
    return toPage(rows, query, window);
  }
}
