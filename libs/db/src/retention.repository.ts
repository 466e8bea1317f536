import { Injectable } from '@nestjs/common';
import { DEFAULT_RETENTION_DAYS } from './tenant.repository';
import { SqlService } from './sql.service';

/** Rows one retention batch deleted. */
export interface RetentionBatch {
  messages: number;
  deliveries: number;
  attempts: number;
}

/**
 * Retention's SQL. A tenant's `settings.retentionDays` (default 30) says how long its messages live; a
 * message older than that goes with its payload, deliveries and attempts, unless one of its deliveries is
 * still pending or sending, or moved (an attempt, a resend) within the retention: those wait. Work is done in
 * batches of message ids taken in primary-key order, each batch one short statement, so no lock is held long
 * and no statement grows with the table.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly sql: SqlService) {}

  /** The shortest retention of any tenant: no message younger than that can be due. */
  async shortestRetentionDays(): Promise<number> {
    const [row] = await this.sql.query<{ days: number | null }>(
      `SELECT min(${retentionDays('$1')}) AS days FROM tenants t WHERE t.deleted_at IS NULL`,
      [DEFAULT_RETENTION_DAYS],
    );
    return row?.days ?? DEFAULT_RETENTION_DAYS;
  }

  /** Up to `limit` message ids after `after` and below `before`, in order: a primary-key range scan. */
  async messageIdsBetween(after: string, before: string, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      'SELECT id FROM messages WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3',
      [after, before, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes those of `messageIds` that are past their tenant's retention and idle, then their deliveries and
   * attempts, in one statement. Rows another transaction holds (a resend right now) are skipped this time.
   */
  async deleteExpired(messageIds: string[]): Promise<RetentionBatch> {
    if (messageIds.length === 0) return { messages: 0, deliveries: 0, attempts: 0 };
    const [row] = await this.sql.query<{ messages: string; deliveries: string; attempts: string }>(
      `WITH doomed AS (
         SELECT m.id FROM messages m
           JOIN tenants t ON t.id = m.tenant_id
          WHERE m.id = ANY($1::text[])
            AND m.created_at < now() - make_interval(days => ${retentionDays('$2')})
            AND NOT EXISTS (
                  SELECT 1 FROM deliveries d
                   WHERE d.message_id = m.id
                     AND (d.status IN ('pending', 'sending')
                          OR d.updated_at >= now() - make_interval(days => ${retentionDays('$2')})))
            FOR UPDATE OF m SKIP LOCKED
       ),
       gone_messages AS (DELETE FROM messages m USING doomed WHERE m.id = doomed.id RETURNING m.id),
       gone_deliveries AS (
         DELETE FROM deliveries d USING gone_messages g WHERE d.message_id = g.id RETURNING d.id
       ),
       gone_attempts AS (
         DELETE FROM delivery_attempts a USING gone_deliveries g WHERE a.delivery_id = g.id RETURNING 1
       )
       SELECT (SELECT count(*) FROM gone_messages) AS messages,
              (SELECT count(*) FROM gone_deliveries) AS deliveries,
              (SELECT count(*) FROM gone_attempts) AS attempts`,
      [messageIds, DEFAULT_RETENTION_DAYS],
    );
    return {
      messages: Number(row?.messages ?? 0),
      deliveries: Number(row?.deliveries ?? 0),
      attempts: Number(row?.attempts ?? 0),
    };
  }
}

/** A tenant's retention in days, from its settings (the `t` alias), or the default in parameter `param`. */
function retentionDays(param: string): string {
  return `coalesce((t.settings->>'retentionDays')::int, ${param})`;
}
