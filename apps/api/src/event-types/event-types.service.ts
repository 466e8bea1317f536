import { Injectable } from '@nestjs/common';
import { EventTypeData, EventTypeRecord, EventTypeRepository, mapPage, Page, PageQuery } from '@app/db';
import { DomainError } from '@app/domain';
import type { EventTypeInDto, EventTypePatchDto, EventTypeUpdateDto } from './event-type.dto';

export interface EventTypeOut {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  schemas: Record<string, unknown> | null;
  featureFlags: string[] | null;
  featureFlag: string | null;
  groupName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventTypeListOptions {
  includeArchived?: boolean;
  withContent?: boolean;
  /** A consumer-portal reader's feature flags; undefined for the tenant's key, which sees everything. */
  featureFlags?: readonly string[];
}

@Injectable()
export class EventTypesService {
  constructor(private readonly eventTypes: EventTypeRepository) {}

  async create(tenantId: string, input: EventTypeInDto): Promise<EventTypeOut> {
    const data = { ...toData(input), description: input.description };
    return toOut(await this.eventTypes.create(tenantId, input.name, data));
  }

  async list(tenantId: string, query: PageQuery, options: EventTypeListOptions): Promise<Page<EventTypeOut>> {
    const page = await this.eventTypes.list(tenantId, query, {
      includeArchived: options.includeArchived ?? false,
      withContent: options.withContent ?? false,
      featureFlags: options.featureFlags,
    });
    return mapPage(page, toOut);
  }

  /** With `featureFlags` (a portal reader), an event type flagged for others is not found. */
  async get(tenantId: string, name: string, featureFlags?: readonly string[]): Promise<EventTypeOut> {
    const record = await this.eventTypes.find(tenantId, name);
    const hidden =
      featureFlags !== undefined &&
      record.featureFlags.length > 0 &&
      !record.featureFlags.some((flag) => featureFlags.includes(flag));
    if (hidden) throw DomainError.notFound('EventType');
    return toOut(record);
  }

  async upsert(
    tenantId: string,
    name: string,
    input: EventTypeUpdateDto,
  ): Promise<{ created: boolean; eventType: EventTypeOut }> {
    const data = { ...toData(input), description: input.description };
    const { created, eventType } = await this.eventTypes.upsert(tenantId, name, data);
    return { created, eventType: toOut(eventType) };
  }

  async patch(tenantId: string, name: string, input: EventTypePatchDto): Promise<EventTypeOut> {
    return toOut(await this.eventTypes.patch(tenantId, name, toData(input)));
  }

  async delete(tenantId: string, name: string, expunge: boolean): Promise<void> {
    if (expunge) await this.eventTypes.expunge(tenantId, name);
    else await this.eventTypes.archive(tenantId, name);
  }
}

function toData(input: EventTypePatchDto): Partial<EventTypeData> {
  const data: Partial<EventTypeData> = {};
  if (input.description !== undefined) data.description = input.description;
  if (input.archived !== undefined) data.archived = input.archived;
  if (input.deprecated !== undefined) data.deprecated = input.deprecated;
  if (input.schemas !== undefined) data.schemas = input.schemas;
  if (input.groupName !== undefined) data.groupName = input.groupName;
  // featureFlags wins over the deprecated single featureFlag when both are sent.
  if (input.featureFlags !== undefined) data.featureFlags = unique(input.featureFlags ?? []);
  else if (input.featureFlag !== undefined) data.featureFlags = input.featureFlag ? [input.featureFlag] : [];
  return data;
}

function toOut(record: EventTypeRecord): EventTypeOut {
  return {
    name: record.name,
    description: record.description,
    archived: record.archived,
    deprecated: record.deprecated,
    schemas: record.schemas,
    featureFlags: record.featureFlags.length > 0 ? record.featureFlags : null,
    featureFlag: record.featureFlags[0] ?? null,
    groupName: record.groupName,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
