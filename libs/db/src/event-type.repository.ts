import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { DomainError, newId } from '@app/domain';
import { PrismaService } from './prisma.service';
import { idRange, Page, PageQuery, pageWindow, toPage } from './pagination';
import { isUniqueViolation } from './prisma-errors';

/** JSON Schemas by version, as Svix keeps them: `{"1": {...}}`. */
export type EventTypeSchemas = Record<string, unknown>;

export interface EventTypeRecord {
  id: string;
  name: string;
  description: string;
  schemas: EventTypeSchemas | null;
  archived: boolean;
  deprecated: boolean;
  featureFlags: string[];
  groupName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventTypeData {
  description: string;
  schemas?: EventTypeSchemas | null;
  archived?: boolean;
  deprecated?: boolean;
  featureFlags?: string[];
  groupName?: string | null;
}

export interface EventTypeListOptions {
  includeArchived: boolean;
  /** Schemas can be large; a listing reads them only when asked. */
  withContent: boolean;
  /**
   * A consumer-portal reader: only event types without feature flags, or with one of these. Undefined: all
   * (the tenant's own key sees every event type).
   */
  featureFlags?: readonly string[];
}

/** The condition that shows an event type to a reader holding `flags` (Svix's feature-flagged catalog). */
const visibleTo = (flags: readonly string[] | undefined) =>
  flags === undefined
    ? {}
    : { OR: [{ featureFlags: { isEmpty: true } }, { featureFlags: { hasSome: [...flags] } }] };

const SELECT = {
  id: true,
  name: true,
  description: true,
  schemas: true,
  archived: true,
  deprecated: true,
  featureFlags: true,
  groupName: true,
  createdAt: true,
  updatedAt: true,
} as const;

const SELECT_WITHOUT_SCHEMAS = { ...SELECT, schemas: false } as const;

type Row = Prisma.EventTypeGetPayload<{ select: typeof SELECT }>;
type RowWithoutSchemas = Prisma.EventTypeGetPayload<{ select: typeof SELECT_WITHOUT_SCHEMAS }>;

const nameTaken = () => DomainError.conflict('conflict', 'An event type with this name already exists.');
const notFound = () => DomainError.notFound('EventType');

/** The tenant's catalogue of event types, addressed by name (unique per tenant), as in every Svix path. */
@Injectable()
export class EventTypeRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates the event type, or brings back an archived one of the same name with the new content (Svix: "does
   * not preserve the description and schemas"). A live one of that name is a conflict.
   */
  async create(tenantId: string, name: string, data: EventTypeData): Promise<EventTypeRecord> {
    const existing = await this.prisma.eventType.findFirst({
      where: { tenantId, name },
      select: { id: true, archived: true },
    });
    if (existing && !existing.archived) throw nameTaken();
    if (existing) {
      // Conditional on `archived`, so two concurrent un-archivings cannot both succeed.
      const { count } = await this.prisma.eventType.updateMany({
        where: { tenantId, id: existing.id, archived: true },
        data: replacement(data),
      });
      if (count === 0) throw nameTaken();
      return this.find(tenantId, name);
    }
    try {
      const row = await this.prisma.eventType.create({
        data: { id: newId('eventType'), tenantId, name, ...replacement(data) },
        select: SELECT,
      });
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  }

  /** Archived event types are found too: Svix shows them, flagged `archived`. */
  async find(tenantId: string, name: string): Promise<EventTypeRecord> {
    const found = await this.findOptional(tenantId, name);
    if (!found) throw notFound();
    return found;
  }

  async findOptional(tenantId: string, name: string): Promise<EventTypeRecord | undefined> {
    const row = await this.prisma.eventType.findFirst({ where: { tenantId, name }, select: SELECT });
    return row ? toRecord(row) : undefined;
  }

  /** Ordered by id (creation order): ids never change, so an iterator stays valid whatever else is edited. */
  async list(
    tenantId: string,
    query: PageQuery,
    options: EventTypeListOptions,
  ): Promise<Page<EventTypeRecord>> {
    const window = pageWindow(query);
    const where = {
      tenantId,
      ...(options.includeArchived ? {} : { archived: false }),
      ...visibleTo(options.featureFlags),
      ...idRange(window),
    };
    const args = { where, orderBy: { id: window.order }, take: window.take };
    const records = options.withContent
      ? (await this.prisma.eventType.findMany({ ...args, select: SELECT })).map(toRecord)
      : (await this.prisma.eventType.findMany({ ...args, select: SELECT_WITHOUT_SCHEMAS })).map(toSummary);
    return toPage(records, query, window);
  }

  /** Svix's PUT: replaces every field of the event type, or creates it under this name. */
  async upsert(
    tenantId: string,
    name: string,
    data: EventTypeData,
  ): Promise<{ created: boolean; eventType: EventTypeRecord }> {
    if (await this.replace(tenantId, name, data)) {
      return { created: false, eventType: await this.find(tenantId, name) };
    }
    try {
      const row = await this.prisma.eventType.create({
        data: { id: newId('eventType'), tenantId, name, ...replacement(data) },
        select: SELECT,
      });
      return { created: true, eventType: toRecord(row) };
    } catch (error) {
      // Another request created it between our two statements: theirs is replaced, as a later PUT would.
      if (!isUniqueViolation(error) || !(await this.replace(tenantId, name, data))) throw error;
      return { created: false, eventType: await this.find(tenantId, name) };
    }
  }

  async patch(tenantId: string, name: string, data: Partial<EventTypeData>): Promise<EventTypeRecord> {
    const { count } = await this.prisma.eventType.updateMany({
      where: { tenantId, name },
      data: changes(data),
    });
    if (count === 0) throw notFound();
    return this.find(tenantId, name);
  }

  /** Svix's delete: the name stays taken and old messages keep their meaning; `create` brings it back. */
  async archive(tenantId: string, name: string): Promise<void> {
    const { count } = await this.prisma.eventType.updateMany({
      where: { tenantId, name },
      data: { archived: true },
    });
    if (count === 0) throw notFound();
  }

  async expunge(tenantId: string, name: string): Promise<void> {
    const { count } = await this.prisma.eventType.deleteMany({ where: { tenantId, name } });
    if (count === 0) throw notFound();
  }

  /**
   * Which of `names` are live (not archived) event types of the tenant: what an endpoint may filter on. With
   * `featureFlags` (a portal reader), only those that reader can see.
   */
  async findLiveNames(
    tenantId: string,
    names: readonly string[],
    featureFlags?: readonly string[],
  ): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.prisma.eventType.findMany({
      where: { tenantId, archived: false, name: { in: [...names] }, ...visibleTo(featureFlags) },
      select: { name: true },
    });
    return new Set(rows.map((row) => row.name));
  }

  private async replace(tenantId: string, name: string, data: EventTypeData): Promise<boolean> {
    const { count } = await this.prisma.eventType.updateMany({
      where: { tenantId, name },
      data: replacement(data),
    });
    return count > 0;
  }
}

/** Every field, with Svix's defaults for the ones not given: what create and PUT write. */
function replacement(data: EventTypeData) {
  return {
    description: data.description,
    schemas: jsonOrNull(data.schemas ?? null),
    archived: data.archived ?? false,
    deprecated: data.deprecated ?? false,
    featureFlags: data.featureFlags ?? [],
    groupName: data.groupName ?? null,
  };
}

/** Only the fields given: what PATCH writes. */
function changes(data: Partial<EventTypeData>): Prisma.EventTypeUpdateManyMutationInput {
  const out: Prisma.EventTypeUpdateManyMutationInput = {};
  if (data.description !== undefined) out.description = data.description;
  if (data.schemas !== undefined) out.schemas = jsonOrNull(data.schemas);
  if (data.archived !== undefined) out.archived = data.archived;
  if (data.deprecated !== undefined) out.deprecated = data.deprecated;
  if (data.featureFlags !== undefined) out.featureFlags = data.featureFlags;
  if (data.groupName !== undefined) out.groupName = data.groupName;
  return out;
}

function jsonOrNull(schemas: EventTypeSchemas | null): Prisma.InputJsonObject | typeof Prisma.DbNull {
  return schemas === null ? Prisma.DbNull : (schemas as Prisma.InputJsonObject);
}

function toRecord(row: Row): EventTypeRecord {
  return { ...row, schemas: (row.schemas as EventTypeSchemas | null) ?? null };
}

function toSummary(row: RowWithoutSchemas): EventTypeRecord {
  return { ...row, schemas: null };
}
