import { Injectable } from '@nestjs/common';
import type { DueDelivery } from './delivery.repository';
import { Page, PageQuery, pageWindow, toPage } from './pagination';
import { SqlService } from './sql.service';

/**
 * Which dead letters (deliveries in status `fail`, their attempts exhausted) of a tenant: ids already resolved
 * and checked by the caller. Times are when the delivery failed (its last change).
 */
export interface DeadLetterFilter {
  applicationId?: string;
  endpointId?: string;
  eventTypes?: string[];
  since: Date;
  until: Date;
  /** Inclusive range of the last attempt's response status code (0–99: no HTTP response). */
  statusCodes?: { min: number; max: number };
}

export interface DeadLetterRecord {
  /** The delivery's id: the list is paged by it. */
  id: string;
  applicationId: string;
  applicationUid: string | null;
  endpointId: string;
  endpointUrl: string;
  messageId: string;
  eventType: string;
  eventId: string | null;
  attemptCount: number;
  lastResponseStatusCode: number | null;
  lastErrorKind: string | null;
  createdAt: Date;
  failedAt: Date;
}

/** A dead letter as a redrive step needs it. */
export interface DeadLetterRef {
  id: string;
  applicationId: string;
  messageId: string;
}

/**
 * Dead letters across all applications of a tenant, for the dashboard: filtered lists (newest first, paged by
 * delivery id over the partial index `deliveries_dead_letters_idx`), counts, and the walk a bulk redrive takes.
 */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly sql: SqlService) {}

  async list(tenantId: string, filter: DeadLetterFilter, query: PageQuery): Promise<Page<DeadLetterRecord>> {
    const window = pageWindow({ ...query, order: 'descending' });
    const { where, values } = conditions(tenantId, filter);
    if (window.cursor) {
      values.push(window.cursor);
      where.push(`d.id ${window.order === 'asc' ? '>' : '<'} $${values.length}`);
    }
    values.push(window.take);
    const rows = await this.sql.query<DeadLetterRecord>(
      `SELECT d.id, d.application_id AS "applicationId", app.uid AS "applicationUid", d.endpoint_id AS "endpointId",
              e.url AS "endpointUrl", d.message_id AS "messageId", m.event_type AS "eventType", m.event_id AS "eventId",
              d.attempt_count AS "attemptCount", la.response_status_code AS "lastResponseStatusCode",
              la.error_kind AS "lastErrorKind", d.created_at AS "createdAt", d.updated_at AS "failedAt"
         FROM deliveries d
         JOIN messages m ON m.id = d.message_id
         JOIN endpoints e ON e.id = d.endpoint_id
         JOIN applications app ON app.id = d.application_id
         ${LAST_ATTEMPT}
        WHERE ${where.join(' AND ')}
        ORDER BY d.id ${window.order === 'asc' ? 'ASC' : 'DESC'}
        LIMIT $${values.length}`,
      values,
    );
    return toPage(rows, { ...query, order: 'descending' }, window);
  }

  /** How many dead letters match (expunged messages excluded: they can no longer be sent). */
  async count(tenantId: string, filter: DeadLetterFilter): Promise<number> {
    const { where, values } = conditions(tenantId, filter);
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries d JOIN messages m ON m.id = d.message_id ${LAST_ATTEMPT}
        WHERE ${where.join(' AND ')} AND m.expunged_at IS NULL`,
      values,
    );
    return row?.n ?? 0;
  }

  /** The next dead letters of a redrive's walk: in id order after `afterId`, still failed, content kept. */
  async nextToRedrive(
    tenantId: string,
    filter: DeadLetterFilter,
    afterId: string | null,
    limit: number,
  ): Promise<DeadLetterRef[]> {
    const { where, values } = conditions(tenantId, filter);
    if (afterId) {
      values.push(afterId);
      where.push(`d.id > $${values.length}`);
    }
    values.push(limit);
    return this.sql.query<DeadLetterRef>(
      `SELECT d.id, d.application_id AS "applicationId", d.message_id AS "messageId"
         FROM deliveries d JOIN messages m ON m.id = d.message_id ${LAST_ATTEMPT}
        WHERE ${where.join(' AND ')} AND m.expunged_at IS NULL
        ORDER BY d.id LIMIT $${values.length}`,
      values,
    );
  }

  /**
   * Reopens these dead letters to their own endpoint, as recover does: pending, due now, a fresh retry schedule,
   * the fence moved. One that is no longer failed (redriven meanwhile) is left alone.
   */
  reopen(tenantId: string, ids: string[]): Promise<DueDelivery[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.sql.query<DueDelivery>(
      `UPDATE deliveries d
          SET status = 'pending', retry_count = 0, open_claims = 0, next_attempt_at = now(), lease_until = NULL,
              next_trigger = 'manual', fence = d.fence + 1, updated_at = now()
        WHERE d.tenant_id = $1 AND d.id = ANY($2::text[]) AND d.status = 'fail'
       RETURNING d.id, d.fence, d.tenant_id AS "tenantId", d.application_id AS "applicationId",
                 d.endpoint_id AS "endpointId"`,
      [tenantId, ids],
    );
  }
}

/** The last attempt of the delivery `d` (by the index on delivery_id). */
const LAST_ATTEMPT = `LEFT JOIN LATERAL (
           SELECT a.response_status_code, a.error_kind FROM delivery_attempts a
            WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) la ON true`;

function conditions(tenantId: string, filter: DeadLetterFilter): { where: string[]; values: unknown[] } {
  const values: unknown[] = [tenantId, filter.since, filter.until];
  const where = [`d.tenant_id = $1`, `d.status = 'fail'`, `d.updated_at >= $2`, `d.updated_at < $3`];
  const add = (sql: (n: number) => string, value: unknown) => {
    values.push(value);
    where.push(sql(values.length));
  };
  if (filter.applicationId) add((n) => `d.application_id = $${n}`, filter.applicationId);
  if (filter.endpointId) add((n) => `d.endpoint_id = $${n}`, filter.endpointId);
  if (filter.eventTypes?.length) add((n) => `m.event_type = ANY($${n}::text[])`, filter.eventTypes);
  if (filter.statusCodes) {
    add((n) => `COALESCE(la.response_status_code, 0) >= $${n}`, filter.statusCodes.min);
    add((n) => `COALESCE(la.response_status_code, 0) <= $${n}`, filter.statusCodes.max);
  }
  return { where, values };
}
