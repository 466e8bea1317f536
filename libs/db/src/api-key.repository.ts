import { Injectable } from '@nestjs/common';
import { DomainError, newId } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { ReadCache } from './read-cache';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
}

export interface ApiKeyCandidate {
  id: string;
  tenantId: string;
  hash: Uint8Array;
}

const SELECT = { id: true, name: true, prefix: true, createdAt: true } as const;

@Injectable()
export class ApiKeyRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  async create(tenantId: string, key: { name: string; prefix: string; hash: Buffer }): Promise<ApiKeyRecord> {
    await this.assertTenant(tenantId);
    const created = await this.prisma.apiKey.create({
      data: {
        id: newId('apiKey'),
        tenantId,
        name: key.name,
        prefix: key.prefix,
        hash: new Uint8Array(key.hash),
      },
      select: SELECT,
    });
    await this.cache.invalidate(`apikey:${key.prefix}`);
    return created;
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<ApiKeyRecord>> {
    await this.assertTenant(tenantId);
    const window = pageWindow(query);
    const rows = await this.prisma.apiKey.findMany({
      where: { tenantId, revokedAt: null, ...idRange(window) },
      orderBy: { id: window.order },
      take: window.take,
      select: SELECT,
    });
    return toPage(rows, query, window);
  }

  async revoke(tenantId: string, id: string): Promise<void> {
    await this.assertTenant(tenantId);
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, tenantId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw DomainError.notFound('ApiKey');
    // Before the answer: the revoked key fails on this process's very next request.
    await this.cache.invalidate(`tenant:${tenantId}`);
  }

  /**
   * Live keys sharing a display prefix, for the caller to compare hashes in constant time. Every request, so
   * cached; a revoke, or its tenant's deletion, evicts it.
   */
  findActiveByPrefix(prefix: string): Promise<ApiKeyCandidate[]> {
    return this.cache.get(
      `apikey:${prefix}`,
      (keys) => [`apikey:${prefix}`, ...keys.map((k) => `tenant:${k.tenantId}`)],
      () =>
        this.sql.query<ApiKeyCandidate>(
          `SELECT k.id, k.tenant_id AS "tenantId", k.hash
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.prefix = $1 AND k.revoked_at IS NULL AND t.deleted_at IS NULL`,
          [prefix],
        ),
    );
  }

  private async assertTenant(tenantId: string): Promise<void> {
    const found = await this.prisma.tenant.count({ where: { id: tenantId, deletedAt: null } });
    if (found === 0) throw DomainError.notFound('Tenant');
  }
}
