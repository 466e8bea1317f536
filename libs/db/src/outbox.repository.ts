import { Injectable } from '@nestjs/common';
import { SqlService } from './sql.service';

export type OutboxKind = 'operational_webhook' | 'tenant_purge' | 'background_task';

export interface OutboxEvent {
  id: string;
  tenantId: string;
  kind: OutboxKind;
  /** The exact JSON text of the effect. */
  payload: string;
  /** How many times the row was taken, this time included. */
  attempts: number;
}

/**
 * Side effects written in the same statement or transaction as the change that causes them (see
 * `DeliveryRepository.recordAttempt`, `TenantRepository.markDeleted`) and carried out afterwards. A worker
 * takes rows for a while (`available_at` moves ahead) and deletes each once done, so a crash in between only
 * means the row is taken again later: effects must be idempotent.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly sql: SqlService) {}

  /** Takes up to `limit` available rows for `holdMs`; rows another worker is taking are skipped. */
  async take(limit: number, holdMs: number): Promise<OutboxEvent[]> {
    return this.sql.query<OutboxEvent>(
      `UPDATE outbox_events o
          SET available_at = now() + make_interval(secs => $2), attempts = o.attempts + 1
        WHERE o.id IN (SELECT id FROM outbox_events WHERE available_at <= now()
                        ORDER BY available_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING o.id, o.tenant_id AS "tenantId", o.kind, o.payload, o.attempts`,
      [limit, holdMs / 1000],
    );
  }

  async complete(id: string): Promise<void> {
    await this.sql.query('DELETE FROM outbox_events WHERE id = $1', [id]);
  }

  /** Gives the row back: available again after `delayMs` (0 to continue at the next pass). */
  async release(id: string, delayMs: number, error?: string): Promise<void> {
    await this.sql.query(
      `UPDATE outbox_events SET available_at = now() + make_interval(secs => $2), last_error = COALESCE($3, last_error)
        WHERE id = $1`,
      [id, delayMs / 1000, error ?? null],
    );
  }

  /** Gives back a row whose work went well but is not over (a long task): available now, its failures reset. */
  async handBack(id: string): Promise<void> {
    await this.sql.query('UPDATE outbox_events SET available_at = now(), attempts = 0 WHERE id = $1', [id]);
  }
}
