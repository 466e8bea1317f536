import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { DomainError, isId, newId } from '@app/domain';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { ReadCache } from './read-cache';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';
import { isUniqueViolation } from './prisma-errors';

export interface ApplicationRecord {
  id: string;
  uid: string | null;
  name: string;
  metadata: Record<string, string>;
  throttleRate: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApplicationData {
  uid?: string | null;
  name: string;
  metadata?: Record<string, string>;
  throttleRate?: number | null;
}

const SELECT = {
  id: true,
  uid: true,
  name: true,
  metadata: true,
  throttleRate: true,
  createdAt: true,
  updatedAt: true,
} as const;

type Row = Prisma.ApplicationGetPayload<{ select: typeof SELECT }>;

/** Reserved uid of the operational application; ordinary lookups exclude it by the `operational` flag. */
const OPERATIONAL_UID = '__operational_webhooks__';

const uidTaken = () => DomainError.conflict('conflict', 'An application with this uid already exists.');

@Injectable()
export class ApplicationRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly cache: ReadCache,
  ) {}

  async create(tenantId: string, data: ApplicationData): Promise<ApplicationRecord> {
    try {
      const row = await this.prisma.application.create({
        data: { id: newId('application'), tenantId, ...data, metadata: data.metadata ?? {} },
        select: SELECT,
      });
      // A lookup of its uid may be cached as "not found".
      await this.cache.invalidate(`apps:${tenantId}`);
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw uidTaken();
      throw error;
    }
  }

  /** By id or by the tenant's uid, as every Svix path allows; another tenant's application is not found. */
  async find(tenantId: string, idOrUid: string): Promise<ApplicationRecord> {
    const found = await this.findOptional(tenantId, idOrUid);
    if (!found) throw DomainError.notFound('Application');
    return found;
  }

  /** On every message create, so cached; an update or delete of the application evicts it. */
  async findOptional(tenantId: string, idOrUid: string): Promise<ApplicationRecord | undefined> {
    const column = isId('application', idOrUid) ? 'id' : 'uid';
    const row = await this.cache.get(
      `app:${tenantId}:${idOrUid}`,
      (found) => [`tenant:${tenantId}`, found ? `app:${found.id}` : `apps:${tenantId}`],
      async () => {
        const [found] = await this.sql.query<Row>(
          `SELECT id, uid, name, metadata, throttle_rate AS "throttleRate", created_at AS "createdAt",
                  updated_at AS "updatedAt"
             FROM applications WHERE tenant_id = $1 AND ${column} = $2 AND NOT operational`,
          [tenantId, idOrUid],
        );
        return found ?? null;
      },
    );
    return row ? toRecord(row) : undefined;
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<ApplicationRecord>> {
    const window = pageWindow(query);
    const rows = await this.prisma.application.findMany({
      where: { tenantId, operational: false, ...idRange(window) },
      orderBy: { id: window.order },
      take: window.take,
      select: SELECT,
    });
    return toPage(rows.map(toRecord), query, window);
  }

  async update(tenantId: string, id: string, data: Partial<ApplicationData>): Promise<ApplicationRecord> {
    try {
      const { count } = await this.prisma.application.updateMany({
        where: { tenantId, id, operational: false },
        data,
      });
      if (count === 0) throw DomainError.notFound('Application');
    } catch (error) {
      if (isUniqueViolation(error)) throw uidTaken();
      throw error;
    }
    // Its old uid's lookup is tagged with the application too; a new uid may be cached as "not found".
    await this.cache.invalidate(`app:${id}`);
    await this.cache.invalidate(`apps:${tenantId}`);
    return this.find(tenantId, id);
  }

  /**
   * Deletes the application with its endpoints and messages (foreign keys cascade) and, in the same
   * statement, its deliveries and attempts (the delivery tables have no foreign keys, see ADR 0005).
   */
  async delete(tenantId: string, id: string): Promise<void> {
    const [row] = await this.sql.query<{ n: number }>(
      `WITH endpoint AS (
         SELECT e.id FROM endpoints e JOIN applications a ON a.id = e.application_id
          WHERE a.tenant_id = $1 AND a.id = $2 AND NOT a.operational
       ), attempts AS (
         DELETE FROM delivery_attempts WHERE tenant_id = $1 AND endpoint_id IN (SELECT id FROM endpoint)
       ), deliveries AS (
         DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoint)
       ), application AS (
         DELETE FROM applications WHERE tenant_id = $1 AND id = $2 AND NOT operational RETURNING id
       )
       SELECT count(*)::int AS n FROM application`,
      [tenantId, id],
    );
    if (!row || row.n === 0) throw DomainError.notFound('Application');
    await this.cache.invalidate(`app:${id}`);
  }

  /**
   * The tenant's hidden application whose endpoints receive operational webhooks. It never appears in
   * lists or lookups of ordinary applications.
   */
  async findOperational(tenantId: string): Promise<{ id: string } | undefined> {
    const row = await this.prisma.application.findFirst({
      where: { tenantId, operational: true },
      select: { id: true },
    });
    return row ?? undefined;
  }

  async findOrCreateOperational(tenantId: string): Promise<{ id: string }> {
    const existing = await this.findOperational(tenantId);
    if (existing) return existing;
    try {
      return await this.prisma.application.create({
        data: {
          id: newId('application'),
          tenantId,
          name: 'Operational webhooks',
          operational: true,
          uid: OPERATIONAL_UID,
        },
        select: { id: true },
      });
    } catch (error) {
      // Two requests raced to create it; the (tenant, uid) constraint kept one.
      if (isUniqueViolation(error)) return (await this.findOperational(tenantId))!;
      throw error;
    }
  }
}

function toRecord(row: Row): ApplicationRecord {
  return { ...row, metadata: row.metadata as Record<string, string> };
}
