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
  /** The master-key version whose subkey made `hash` (see ApiKeyHasher). */
  hashKeyVersion: number;
}

/** A new key's stored form (ApiKeyHasher.issue). */
export interface StoredApiKey {
  name: string;
  prefix: string;
  hash: Buffer;
  hashKeyVersion: number;
}

const SELECT = { id: true, name: true, prefix: true, createdAt: true } as const;

@Injectable()
export class ApiKeyRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  async create(tenantId: string, key: StoredApiKey): Promise<ApiKeyRecord> {
    await this.assertTenant(tenantId);
    const created = await this.prisma.apiKey.create({
      data: {
        id: newId('apiKey'),
        tenantId,
        name: key.name,
        prefix: key.prefix,
        hash: new Uint8Array(key.hash),
        hashKeyVersion: key.hashKeyVersion,
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
          `SELECT k.id, k.tenant_id AS "tenantId", k.hash, k.hash_key_version AS "hashKeyVersion"
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.prefix = $1 AND k.revoked_at IS NULL AND t.deleted_at IS NULL`,
          [prefix],
        ),
    );
  }

  /**
   * Replaces a key's hash with one under the current master key, after it matched under an older one. Only
   * if the row still has the hash that matched, so two requests re-hashing at once write once.
   */
  async rehash(id: string, prefix: string, from: Uint8Array, to: { hash: Buffer; hashKeyVersion: number }) {
    await this.sql.query(`UPDATE api_keys SET hash = $3, hash_key_version = $4 WHERE id = $1 AND hash = $2`, [
      id,
      Buffer.from(from),
      to.hash,
      to.hashKeyVersion,
    ]);
    await this.cache.invalidate(`apikey:${prefix}`);
  }

  /** Live keys whose hash is not under `currentVersion` yet: they stop working once their key version goes. */
  async countHashedUnderOlderKeys(currentVersion: number): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL AND hash_key_version <> $1`,
      [currentVersion],
    );
    return row?.n ?? 0;
  }

  private async assertTenant(tenantId: string): Promise<void> {
    const found = await this.prisma.tenant.count({ where: { id: tenantId, deletedAt: null } });
    if (found === 0) throw DomainError.notFound('Tenant');
  }
}
