import { Injectable } from '@nestjs/common';
import { DomainError, newId } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { ReadCache } from './read-cache';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';
import type { StoredApiKey } from './api-key.repository';

export interface TenantRecord {
  id: string;
  name: string;
  createdAt: Date;
}

const SELECT = { id: true, name: true, createdAt: true } as const;

/** Per-tenant switches, stored as JSON so new ones need no migration. Unknown or absent keys use defaults. */
export interface TenantSettings {
  /** Refuse messages whose event type is not in the tenant's catalogue (Svix accepts them). */
  rejectUnknownEventTypes: boolean;
  /**
   * Days a message, its payload, deliveries and attempts are kept; the worker's retention loop deletes them
   * after that (see RetentionRepository). Messages with a delivery still pending are kept until it ends.
   */
  retentionDays: number;
  /** Every new endpoint must pass ownership verification before it receives events (docs/verification.md). */
  requireEndpointVerification: boolean;
  /** API requests per second this tenant may make (its own limit); null: the server's RATE_LIMIT_PER_SECOND. */
  rateLimitPerSecond: number | null;
}

/** Retention when a tenant sets none (SPEC: 30 days). */
export const DEFAULT_RETENTION_DAYS = 30;

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  rejectUnknownEventTypes: false,
  retentionDays: DEFAULT_RETENTION_DAYS,
  requireEndpointVerification: false,
  rateLimitPerSecond: null,
};

function readSettings(value: unknown): TenantSettings {
  const stored = typeof value === 'object' && value !== null ? (value as Partial<TenantSettings>) : {};
  return {
    rejectUnknownEventTypes:
      typeof stored.rejectUnknownEventTypes === 'boolean'
        ? stored.rejectUnknownEventTypes
        : DEFAULT_TENANT_SETTINGS.rejectUnknownEventTypes,
    retentionDays:
      typeof stored.retentionDays === 'number' ? stored.retentionDays : DEFAULT_TENANT_SETTINGS.retentionDays,
    requireEndpointVerification:
      typeof stored.requireEndpointVerification === 'boolean'
        ? stored.requireEndpointVerification
        : DEFAULT_TENANT_SETTINGS.requireEndpointVerification,
    rateLimitPerSecond:
      typeof stored.rateLimitPerSecond === 'number' && stored.rateLimitPerSecond > 0
        ? stored.rateLimitPerSecond
        : DEFAULT_TENANT_SETTINGS.rateLimitPerSecond,
  };
}

/** Tenants as the operator sees them; a deleted tenant is gone from every read at once. */
@Injectable()
export class TenantRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  /** Creates the tenant and its first API key in one transaction. */
  async createWithKey(
    name: string,
    key: StoredApiKey,
  ): Promise<{ tenant: TenantRecord; keyId: string; keyCreatedAt: Date }> {
    const tenantId = newId('tenant');
    const keyId = newId('apiKey');
    const [tenant, apiKey] = await this.prisma.$transaction([
      this.prisma.tenant.create({ data: { id: tenantId, name }, select: SELECT }),
      this.prisma.apiKey.create({
        data: {
          id: keyId,
          tenantId,
          name: key.name,
          prefix: key.prefix,
          hash: new Uint8Array(key.hash),
          hashKeyVersion: key.hashKeyVersion,
        },
        select: { createdAt: true },
      }),
    ]);
    return { tenant, keyId, keyCreatedAt: apiKey.createdAt };
  }

  async find(id: string): Promise<TenantRecord> {
    const tenant = await this.prisma.tenant.findFirst({ where: { id, deletedAt: null }, select: SELECT });
    if (!tenant) throw DomainError.notFound('Tenant');
    return tenant;
  }

  async list(query: PageQuery): Promise<Page<TenantRecord>> {
    const window = pageWindow(query);
    const rows = await this.prisma.tenant.findMany({
      where: { deletedAt: null, ...idRange(window) },
      orderBy: { id: window.order },
      take: window.take,
      select: SELECT,
    });
    return toPage(rows, query, window);
  }

  /** Read on every message create, so cached (evicted when they change or the tenant is deleted). */
  async settings(id: string): Promise<TenantSettings> {
    const row = await this.cache.get(
      `settings:${id}`,
      () => [`tenant:${id}`],
      async () => {
        const [found] = await this.sql.query<{ settings: unknown }>(
          'SELECT settings FROM tenants WHERE id = $1 AND deleted_at IS NULL',
          [id],
        );
        return found ?? null;
      },
    );
    if (!row) throw DomainError.notFound('Tenant');
    return readSettings(row.settings);
  }

  async updateSettings(id: string, patch: Partial<TenantSettings>): Promise<TenantSettings> {
    const current = await this.settings(id);
    const next = { ...current, ...patch };
    await this.prisma.tenant.update({ where: { id }, data: { settings: { ...next } } });
    await this.cache.invalidate(`tenant:${id}`);
    return next;
  }

  /**
   * Marks the tenant deleted (its keys stop working at once) and, in the same statement, writes the outbox
   * row that purges its data, so no delete is left without its purge.
   */
  async markDeleted(id: string): Promise<void> {
    const rows = await this.sql.query<{ id: string }>(
      `WITH deleted AS (
         UPDATE tenants SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id
       )
       INSERT INTO outbox_events (id, tenant_id, kind) SELECT $2, id, 'tenant_purge' FROM deleted
       RETURNING tenant_id AS id`,
      [id, newId('outbox')],
    );
    if (rows.length === 0) throw DomainError.notFound('Tenant');
    // Before the answer: the tenant's keys fail on this process's very next request.
    await this.cache.invalidate(`tenant:${id}`);
  }

  /**
   * One bounded step of a deleted tenant's purge: removes up to `limit` rows of the first table (children
   * first) that still holds some, or the tenant row itself at the end. Short statements, so no long lock
   * and no huge cascade; call again until `done`. Idempotent, and a tenant that is not deleted is untouched.
   */
  async purgeStep(id: string, limit: number): Promise<{ table: string; removed: number; done: boolean }> {
    const [tenant] = await this.sql.query<{ deleted: boolean }>(
      'SELECT deleted_at IS NOT NULL AS deleted FROM tenants WHERE id = $1',
      [id],
    );
    if (!tenant) return { table: 'tenants', removed: 0, done: true };
    if (!tenant.deleted) throw new Error(`tenant ${id} is not deleted; refusing to purge it`);
    for (const [table, where] of PURGE_ORDER) {
      const rows = await this.sql.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} LIMIT $2) RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [id, limit],
      );
      const removed = rows[0]?.n ?? 0;
      if (removed > 0) return { table, removed, done: false };
    }
    await this.sql.query('DELETE FROM tenants WHERE id = $1 AND deleted_at IS NOT NULL', [id]);
    return { table: 'tenants', removed: 1, done: true };
  }
}

/** What a tenant owns, children before parents, each with an indexed way to find the tenant's rows. */
const PURGE_ORDER: [string, string][] = [
  ['delivery_attempts', 'tenant_id = $1'],
  ['deliveries', 'endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = $1)'],
  ['messages', 'tenant_id = $1'],
  ['endpoints', 'tenant_id = $1'],
  ['event_types', 'tenant_id = $1'],
  ['idempotency_keys', 'tenant_id = $1'],
  ['api_keys', 'tenant_id = $1'],
  ['portal_revocations', 'tenant_id = $1'],
  ['background_tasks', 'tenant_id = $1'],
  ['applications', 'tenant_id = $1'],
];
