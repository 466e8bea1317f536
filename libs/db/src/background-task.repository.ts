import { Injectable } from '@nestjs/common';
import { DomainError, newId } from '@app/domain';
import { Page, PageQuery, pageWindow, toPage } from './pagination';
import { SqlService } from './sql.service';

export type BackgroundTaskStatusName = 'running' | 'finished' | 'failed';
export type BackgroundTaskKind = 'endpoint.recover' | 'endpoint.replay' | 'dead-letter.redrive';

export interface BackgroundTaskRecord {
  id: string;
  tenantId: string;
  task: BackgroundTaskKind;
  status: BackgroundTaskStatusName;
  params: Record<string, unknown>;
  data: Record<string, unknown>;
  cursor: string | null;
  updatedAt: Date;
}

export interface NewBackgroundTask {
  task: BackgroundTaskKind;
  params: Record<string, unknown>;
  /** The progress shown before the first step. */
  data: Record<string, unknown>;
  /** Same key while a task with it runs → that task is answered instead of a new one. */
  dedupeKey?: string | null;
  /** Nothing to do: written finished, with no outbox row. */
  finished?: boolean;
}

export interface BackgroundTaskFilter {
  status?: BackgroundTaskStatusName;
  task?: string;
}

const COLUMNS = `id, tenant_id AS "tenantId", task, status, params, data, cursor, updated_at AS "updatedAt"`;

/**
 * Background tasks (Svix's /background-task). `create` writes the task and, unless it is already finished, an
 * outbox row of kind `background_task` in the same statement: the outbox is what gets a worker to run it
 * (OutboxService), and to take it again if that worker dies. Each step saves its cursor and progress, so
 * running a step again after a crash continues where the last saved step ended.
 */
@Injectable()
export class BackgroundTaskRepository {
  constructor(private readonly sql: SqlService) {}

  /**
   * Creates the task, or answers the running task with the same dedupe key (`created: false`). Both inserts are
   * one statement, so a task never exists without what runs it.
   */
  async create(
    tenantId: string,
    input: NewBackgroundTask,
  ): Promise<{ task: BackgroundTaskRecord; created: boolean }> {
    const id = newId('backgroundTask');
    const status: BackgroundTaskStatusName = input.finished ? 'finished' : 'running';
    const rows = await this.sql.query<BackgroundTaskRecord>(
      `WITH task AS (
         INSERT INTO background_tasks (id, tenant_id, task, status, params, data, dedupe_key)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)
         ON CONFLICT (tenant_id, dedupe_key) WHERE status = 'running' AND dedupe_key IS NOT NULL DO NOTHING
         RETURNING ${COLUMNS}
       ), queued AS (
         INSERT INTO outbox_events (id, tenant_id, kind, payload)
         SELECT $8, "tenantId", 'background_task', json_build_object('taskId', id)::text FROM task
          WHERE status = 'running'
       )
       SELECT * FROM task`,
      [
        id,
        tenantId,
        input.task,
        status,
        JSON.stringify(input.params),
        JSON.stringify(input.data),
        input.finished ? null : (input.dedupeKey ?? null),
        newId('outbox'),
      ],
    );
    if (rows[0]) return { task: rows[0], created: true };
    const [running] = await this.sql.query<BackgroundTaskRecord>(
      `SELECT ${COLUMNS} FROM background_tasks WHERE tenant_id = $1 AND dedupe_key = $2 AND status = 'running'`,
      [tenantId, input.dedupeKey],
    );
    // It finished between the insert and this read: submit again.
    if (!running) return this.create(tenantId, input);
    return { task: running, created: false };
  }

  async find(tenantId: string, id: string): Promise<BackgroundTaskRecord> {
    const [row] = await this.sql.query<BackgroundTaskRecord>(
      `SELECT ${COLUMNS} FROM background_tasks WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    if (!row) throw DomainError.notFound('BackgroundTask');
    return row;
  }

  /** For the worker: the task whatever its tenant, or null if it is gone (its tenant was purged). */
  async findForRun(id: string): Promise<BackgroundTaskRecord | null> {
    const [row] = await this.sql.query<BackgroundTaskRecord>(
      `SELECT ${COLUMNS} FROM background_tasks WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** Newest first by default, paged by id. */
  async list(
    tenantId: string,
    query: PageQuery,
    filter: BackgroundTaskFilter,
  ): Promise<Page<BackgroundTaskRecord>> {
    const window = pageWindow({ ...query, order: query.order ?? 'descending' });
    const values: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    if (window.cursor) {
      values.push(window.cursor);
      where.push(`id ${window.order === 'asc' ? '>' : '<'} $${values.length}`);
    }
    if (filter.status) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    if (filter.task) {
      values.push(filter.task);
      where.push(`task = $${values.length}`);
    }
    values.push(window.take);
    const rows = await this.sql.query<BackgroundTaskRecord>(
      `SELECT ${COLUMNS} FROM background_tasks WHERE ${where.join(' AND ')}
        ORDER BY id ${window.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${values.length}`,
      values,
    );
    return toPage(rows, { ...query, order: query.order ?? 'descending' }, window);
  }

  /** Saves one step: the new cursor and progress, and the status once it is over. Only a running task moves. */
  async saveStep(
    id: string,
    step: {
      cursor: string | null;
      data: Record<string, unknown>;
      status?: BackgroundTaskStatusName;
      error?: string;
    },
  ): Promise<void> {
    await this.sql.query(
      `UPDATE background_tasks
          SET cursor = $2, data = $3::jsonb, status = COALESCE($4, status), error = COALESCE($5, error),
              updated_at = now()
        WHERE id = $1 AND status = 'running'`,
      [id, step.cursor, JSON.stringify(step.data), step.status ?? null, step.error ?? null],
    );
  }
}
