import { Injectable } from '@nestjs/common';
import { Page, PageQuery, pageWindow, toPage } from './pagination';
import { SqlService } from './sql.service';

export interface MessageSearch {
  applicationId?: string;
  eventId?: string;
  tag?: string;
  eventTypes?: string[];
  since: Date;
  until: Date;
}

export interface FoundMessage {
  id: string;
  applicationId: string;
  applicationUid: string | null;
  eventType: string;
  eventId: string | null;
  channels: string[];
  tags: string[];
  createdAt: Date;
}

/**
 * Messages across all applications of a tenant, for the dashboard's search: by eventId, tag, event type and
 * creation time, newest first, paged by message id. Payloads are not read.
 */
@Injectable()
export class MessageSearchRepository {
  constructor(private readonly sql: SqlService) {}

  async search(tenantId: string, search: MessageSearch, query: PageQuery): Promise<Page<FoundMessage>> {
    const window = pageWindow({ ...query, order: 'descending' });
    const values: unknown[] = [tenantId, search.since, search.until];
    const where = ['m.tenant_id = $1', 'm.created_at >= $2', 'm.created_at < $3'];
    const add = (sql: (n: number) => string, value: unknown) => {
      values.push(value);
      where.push(sql(values.length));
    };
    if (search.applicationId) add((n) => `m.application_id = $${n}`, search.applicationId);
    if (search.eventId) add((n) => `m.event_id = $${n}`, search.eventId);
    if (search.tag) add((n) => `$${n} = ANY(m.tags)`, search.tag);
    if (search.eventTypes?.length) add((n) => `m.event_type = ANY($${n}::text[])`, search.eventTypes);
    if (window.cursor) add((n) => `m.id ${window.order === 'asc' ? '>' : '<'} $${n}`, window.cursor);
    values.push(window.take);
    const rows = await this.sql.query<FoundMessage>(
      `SELECT m.id, m.application_id AS "applicationId", app.uid AS "applicationUid", m.event_type AS "eventType",
              m.event_id AS "eventId", m.channels, m.tags, m.created_at AS "createdAt"
         FROM messages m JOIN applications app ON app.id = m.application_id
        WHERE ${where.join(' AND ')} AND NOT app.operational
        ORDER BY m.id ${window.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${values.length}`,
      values,
    );
    return toPage(rows, { ...query, order: 'descending' }, window);
  }
}
