import { Injectable } from '@nestjs/common';
import { DomainError, newId } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';

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
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { rejectUnknownEventTypes: false };

function readSettings(value: unknown): TenantSettings {
  const stored = typeof value === 'object' && value !== null ? (value as Partial<TenantSettings>) : {};
  return {
    rejectUnknownEventTypes:
      typeof stored.rejectUnknownEventTypes === 'boolean'
        ? stored.rejectUnknownEventTypes
        : DEFAULT_TENANT_SETTINGS.rejectUnknownEventTypes,
  };
}

/** Tenants as the operator sees them; a deleted tenant is gone from every read at once. */
@Injectable()
export class TenantRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
  ) {}

  /** Creates the tenant and its first API key in one transaction. */
  async createWithKey(
    name: string,
    key: { name: string; prefix: string; hash: Buffer },
  ): Promise<{ tenant: TenantRecord; keyId: string; keyCreatedAt: Date }> {
    const tenantId = newId('tenant');
    const keyId = newId('apiKey');
    const [tenant, apiKey] = await this.prisma.$transaction([
      this.prisma.tenant.create({ data: { id: tenantId, name }, select: SELECT }),
      this.prisma.apiKey.create({
        data: { id: keyId, tenantId, name: key.name, prefix: key.prefix, hash: new Uint8Array(key.hash) },
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

  /** Read on every message create, so plain SQL. */
  async settings(id: string): Promise<TenantSettings> {
    const [row] = await this.sql.query<{ settings: unknown }>(
      'SELECT settings FROM tenants WHERE id = $1 AND deleted_at IS NULL',
      [id],
    );
    if (!row) throw DomainError.notFound('Tenant');
    return readSettings(row.settings);
  }

  async updateSettings(id: string, patch: Partial<TenantSettings>): Promise<TenantSettings> {
    const current = await this.settings(id);
    const next = { ...current, ...patch };
    await this.prisma.tenant.update({ where: { id }, data: { settings: { ...next } } });
    return next;
  }

  /** Marks the tenant deleted (its keys stop working at once); `purge` removes its rows later. */
  async markDeleted(id: string): Promise<void> {
    const { count } = await this.prisma.tenant.updateMany({
      where: { id, deletedAt: null },
      data: { deletedAt: new Date() },
    });
    if (count === 0) throw DomainError.notFound('Tenant');
  }

  /** Removes a deleted tenant and everything it owns (foreign keys cascade). Idempotent. */
  async purge(id: string): Promise<boolean> {
    const { count } = await this.prisma.tenant.deleteMany({ where: { id, deletedAt: { not: null } } });
    return count > 0;
  }
}
