import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DomainError } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { lockOrderingKeys } from './ordering-locks';
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
  /** Same-key messages reach each endpoint one at a time, in accept order (docs/ordering.md). */
  orderingKey: string | null;
  deliveries: { id: string; endpointId: string }[];
}

export type IngestResult =
  | {
      created: true;
      messageId: string;
      tenantId: string;
      applicationId: string;
      /** The deliveries to queue now; one parked behind an earlier message of its ordering key is not here. */
      deliveries: { id: string; endpointId: string; dueAt: Date }[];
    }
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
  /** When the content was expunged (the payload is then `{}`); null while it is intact. */
  expungedAt: Date | null;
  orderingKey: string | null;
}

/** What an expunge did to each id or eventId it was given. */
export type ExpungeOutcome = 'expunged' | 'not-found';

/** What an expunged message's payload becomes: the empty object Svix shows for a message without content. */
export const EXPUNGED_PAYLOAD = '{}';

export interface MessageListFilter {
  eventTypes?: string[];
  channel?: string;
  tag?: string;
  before?: Date;
  after?: Date;
}

/**
 * The payload bytes one page of messages may carry. A page that would hold more ends early (at least one
 * message, `done: false`, the iterator at its last message): 250 payloads of 1 MiB in one response would
 * let a few concurrent lists exhaust the API's memory. Small payloads still fill a page of 250.
 */
export const LIST_CONTENT_BYTES = 4 * 1024 * 1024;

interface IngestRow {
  id: string;
  /** A stored message, or a delivery stored waiting behind an earlier one of its ordering key. */
  kind: 'message' | 'waiting';
}

/**
 * The ingest statement of a batch with ordering keys (see INGEST_UNORDERED for one without). A delivery with
 * an ordering key draws its place in the key's accept order from a
 * sequence (in the batch's order) and is its line's `head` when it is the first of its key in the batch
 * and no delivery of the key is in line already; otherwise it is `waiting`, with no due time.
 */
const INGEST = `WITH input AS (
   SELECT * FROM json_to_recordset($1::json) AS x(
     id text, tenant_id text, application_id text, event_type text, event_id text, payload text,
     channels text[], tags text[], deliver_at timestamptz, created_at timestamptz, ordering_key text)
 ), inserted AS (
   INSERT INTO messages (id, tenant_id, application_id, event_type, event_id, payload, channels, tags,
                         deliver_at, created_at, ordering_key)
   SELECT id, tenant_id, application_id, event_type, event_id, payload, channels, tags, deliver_at, created_at,
          ordering_key
     FROM input
   ON CONFLICT (application_id, event_id) DO NOTHING
   RETURNING id, created_at, deliver_at
 ), fanned AS (
   SELECT d.*, i.created_at, i.deliver_at
     FROM json_to_recordset($2::json) AS d(
       id text, tenant_id text, application_id text, message_id text, endpoint_id text, ordering_key text, n int)
     JOIN inserted i ON i.id = d.message_id
 ), sequenced AS (
   SELECT s.*, CASE WHEN s.ordering_key IS NULL THEN NULL ELSE nextval('deliveries_ordering_seq') END AS seq
     FROM (SELECT * FROM fanned ORDER BY n) s
 ), placed AS (
   SELECT s.*,
          CASE WHEN s.ordering_key IS NULL THEN NULL
               WHEN row_number() OVER (PARTITION BY s.endpoint_id, s.ordering_key ORDER BY s.n) = 1
                    -- Two lookups, one in each of the lines' partial indexes (head, waiting).
                    AND NOT EXISTS (SELECT 1 FROM deliveries l
                                     WHERE l.endpoint_id = s.endpoint_id AND l.ordering_key = s.ordering_key
                                       AND l.ordering_line = 'head')
                    AND NOT EXISTS (SELECT 1 FROM deliveries l
                                     WHERE l.endpoint_id = s.endpoint_id AND l.ordering_key = s.ordering_key
                                       AND l.ordering_line = 'waiting')
               THEN 'head' ELSE 'waiting' END AS line
     FROM sequenced s
 ), new_deliveries AS (
   INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                           next_attempt_at, ordering_key, ordering_seq, ordering_line, created_at, updated_at)
   SELECT id, tenant_id, application_id, message_id, endpoint_id, 'pending', 0,
          CASE WHEN line = 'waiting' THEN NULL ELSE COALESCE(deliver_at, created_at) END,
          ordering_key, seq, line, created_at, created_at
     FROM placed
   RETURNING id, ordering_line
 )
 SELECT id, 'message' AS kind FROM inserted
 UNION ALL
 SELECT id, 'waiting' AS kind FROM new_deliveries WHERE ordering_line = 'waiting'`;

/**
 * The ingest statement of a batch without ordering keys: the hot path, with none of the ordering steps (no
 * sequence, no window, no lookup of lines).
 */
const INGEST_UNORDERED = `WITH input AS (
   SELECT * FROM json_to_recordset($1::json) AS x(
     id text, tenant_id text, application_id text, event_type text, event_id text, payload text,
     channels text[], tags text[], deliver_at timestamptz, created_at timestamptz)
 ), inserted AS (
   INSERT INTO messages (id, tenant_id, application_id, event_type, event_id, payload, channels, tags,
                         deliver_at, created_at)
   SELECT id, tenant_id, application_id, event_type, event_id, payload, channels, tags, deliver_at, created_at
     FROM input
   ON CONFLICT (application_id, event_id) DO NOTHING
   RETURNING id, created_at, deliver_at
 ), new_deliveries AS (
   INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                           next_attempt_at, created_at, updated_at)
   SELECT d.id, d.tenant_id, d.application_id, d.message_id, d.endpoint_id, 'pending', 0,
          COALESCE(i.deliver_at, i.created_at), i.created_at, i.created_at
     FROM json_to_recordset($2::json) AS d(
       id text, tenant_id text, application_id text, message_id text, endpoint_id text)
     JOIN inserted i ON i.id = d.message_id
   RETURNING id
 )
 SELECT id, 'message' AS kind FROM inserted`;

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
  expungedAt: true,
  orderingKey: true,
} as const;

@Injectable()
export class MessageRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
  ) {}

  /**
   * The ingest write: messages and one delivery per matched endpoint, in one transaction, so a message
   * is never stored without its deliveries. A message whose eventId already exists in its application is not
   * stored; the existing message's id comes back. Messages ingested within a couple of milliseconds of each
   * other, by any request, are committed by one statement (group commit): each caller still waits for the
   * commit that holds its message, so a 202 always follows a commit.
   */
  ingest(batch: NewMessage[]): Promise<IngestResult[]> {
    return Promise.all(batch.map((message) => this.ingests.load(message)));
  }

  private readonly ingests = new DataLoader<NewMessage, IngestResult>((batch) => this.ingestBatch(batch), {
    cache: false,
    maxBatchSize: 500,
    batchScheduleFn: (run) => setTimeout(run, 1),
  });

  /**
   * One statement, so one round trip and atomic: the messages, then the deliveries of those that were
   * inserted (a duplicate eventId inserts nothing and gets no deliveries). A batch with ordering keys runs
   * it in a transaction that first takes the keys' locks (`lockOrderingKeys`), so its statement sees every
   * delivery of those keys committed before it and none can be added or released meanwhile: a delivery is
   * the head of its key's line if the line is empty, else it waits behind it.
   */
  private async ingestBatch(batch: readonly NewMessage[]): Promise<IngestResult[]> {
    const messages = batch.map((m) => ({
      id: m.id,
      tenant_id: m.tenantId,
      application_id: m.applicationId,
      event_type: m.eventType,
      event_id: m.eventId,
      payload: m.payload,
      channels: m.channels,
      tags: m.tags,
      deliver_at: m.deliverAt?.toISOString() ?? null,
      created_at: m.createdAt.toISOString(),
      ordering_key: m.orderingKey,
    }));
    const deliveries = batch.flatMap((m) =>
      m.deliveries.map((d) => ({
        id: d.id,
        tenant_id: m.tenantId,
        application_id: m.applicationId,
        message_id: m.id,
        endpoint_id: d.endpointId,
        ordering_key: m.orderingKey,
      })),
    );
    // Accept order within the batch is array order: `n` carries it to the statement.
    const params = [JSON.stringify(messages), JSON.stringify(deliveries.map((d, n) => ({ ...d, n })))];
    const keyed = deliveries.filter((d) => d.ordering_key !== null);
    const rows =
      keyed.length === 0
        ? await this.sql.prepared<IngestRow>('ingest-messages', INGEST_UNORDERED, params)
        : await this.sql.transaction(async (tx) => {
            await lockOrderingKeys(
              tx,
              keyed.map((d) => ({ endpointId: d.endpoint_id, key: d.ordering_key! })),
            );
            return tx.prepared<IngestRow>('ingest-ordered-messages', INGEST, params);
          });
    const insertedIds = new Set(rows.filter((r) => r.kind === 'message').map((r) => r.id));
    const waiting = new Set(rows.filter((r) => r.kind === 'waiting').map((r) => r.id));
    const existing = await this.existingIds(batch.filter((m) => !insertedIds.has(m.id)));
    return batch.map((m): IngestResult => {
      if (insertedIds.has(m.id)) {
        const dueAt = m.deliverAt ?? m.createdAt;
        return {
          created: true,
          messageId: m.id,
          tenantId: m.tenantId,
          applicationId: m.applicationId,
          deliveries: m.deliveries.filter((d) => !waiting.has(d.id)).map((d) => ({ ...d, dueAt })),
        };
      }
      const existingMessageId = existing.get(`${m.applicationId}/${m.eventId}`);
      if (!existingMessageId) throw new Error(`message ${m.id} was neither inserted nor a duplicate`);
      return { created: false, messageId: m.id, existingMessageId };
    });
  }

  /** The messages that already hold these eventIds, keyed `applicationId/eventId`. */
  private async existingIds(duplicates: readonly NewMessage[]): Promise<Map<string, string>> {
    if (duplicates.length === 0) return new Map();
    const rows = await this.sql.query<{ id: string; applicationId: string; eventId: string }>(
      `SELECT id, application_id AS "applicationId", event_id AS "eventId" FROM messages
        WHERE (application_id, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [duplicates.map((m) => m.applicationId), duplicates.map((m) => m.eventId)],
    );
    return new Map(rows.map((row) => [`${row.applicationId}/${row.eventId}`, row.id]));
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

  /**
   * Content expunge, in one statement: each message named by id (`msg_…`) or eventId gets `{}` for payload and
   * an `expunged_at`, and its deliveries still to come (pending, parked, or `sending`) become `canceled`, so no
   * later attempt sends anything of it; they leave their ordering lines (the reconciler moves a line whose head
   * this canceled on). Attempts already made keep their rows. A message expunged before
   * keeps its first `expunged_at` and is reported expunged again.
   */
  async expunge(
    tenantId: string,
    applicationId: string,
    idsOrEventIds: readonly string[],
  ): Promise<Map<string, ExpungeOutcome>> {
    const keys = [...new Set(idsOrEventIds)];
    if (keys.length === 0) return new Map();
    const found = await this.prisma.$queryRaw<{ key: string }[]>`
      WITH target AS (
        SELECT k.key, m.id FROM unnest(${keys}::text[]) AS k(key)
          JOIN messages m ON m.tenant_id = ${tenantId} AND m.application_id = ${applicationId}
                         AND CASE WHEN left(k.key, 4) = 'msg_' THEN m.id = k.key ELSE m.event_id = k.key END
      ), expunged AS (
        UPDATE messages SET payload = ${EXPUNGED_PAYLOAD}, expunged_at = COALESCE(expunged_at, now())
         WHERE id IN (SELECT id FROM target)
      ), canceled AS (
        UPDATE deliveries
           SET status = 'canceled', next_attempt_at = NULL, lease_until = NULL, ordering_line = NULL,
               updated_at = now()
         WHERE message_id IN (SELECT id FROM target) AND status IN ('pending', 'sending')
      )
      SELECT key FROM target`;
    const expunged = new Set(found.map((row) => row.key));
    return new Map(keys.map((key) => [key, expunged.has(key) ? 'expunged' : 'not-found']));
  }

  /**
   * Newest first by default, as Svix lists messages. Payloads are read only when `withContent`, and then at
   * most LIST_CONTENT_BYTES of them per page (their sizes are read first, the payloads only for the rows kept);
   * without content the payload is `{}`.
   */
  async list(
    tenantId: string,
    applicationId: string,
    query: PageQuery,
    filter: MessageListFilter,
    withContent = true,
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
      select: { ...SELECT, payload: false },
    });
    if (!withContent)
      return toPage(
        rows.map((r) => ({ ...r, payload: EXPUNGED_PAYLOAD })),
        query,
        window,
      );
    const fits = await this.rowsWithinContentBudget(
      tenantId,
      rows.slice(0, query.limit).map((r) => r.id),
    );
    const limit = Math.min(query.limit, fits);
    const kept = rows.slice(0, limit + 1);
    const payloads = await this.prisma.message.findMany({
      where: { tenantId, id: { in: kept.slice(0, limit).map((r) => r.id) } },
      select: { id: true, payload: true },
    });
    const byId = new Map(payloads.map((p) => [p.id, p.payload]));
    const withPayloads = kept.map((r) => ({ ...r, payload: byId.get(r.id) ?? EXPUNGED_PAYLOAD }));
    return toPage(withPayloads, { ...query, limit }, window);
  }

  /** How many of these messages, in order, fit in LIST_CONTENT_BYTES (always at least one). */
  private async rowsWithinContentBudget(tenantId: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const sizes = await this.sql.query<{ id: string; bytes: number }>(
      'SELECT id, octet_length(payload)::int AS bytes FROM messages WHERE tenant_id = $1 AND id = ANY($2::text[])',
      [tenantId, ids],
    );
    const bytesOf = new Map(sizes.map((row) => [row.id, row.bytes]));
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      total += bytesOf.get(ids[i]!) ?? 0;
      if (total > LIST_CONTENT_BYTES) return Math.max(i, 1);
    }
    return ids.length;
  }
}
