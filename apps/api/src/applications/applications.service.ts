import { Injectable } from '@nestjs/common';
import { ApplicationData, ApplicationRecord, ApplicationRepository, mapPage, Page, PageQuery } from '@app/db';
import { isReservedUid, RESERVED_UID_MESSAGE, ValidationError } from '@app/domain';
import type { ApplicationInDto, ApplicationPatchDto } from './application.dto';

export type ApplicationOut = ApplicationRecord & { rateLimit: number | null };

@Injectable()
export class ApplicationsService {
  constructor(private readonly applications: ApplicationRepository) {}

  /** Creates, or with `getIfExists` returns the application that already has this uid. */
  async create(
    tenantId: string,
    input: ApplicationInDto,
    getIfExists: boolean,
  ): Promise<{ created: boolean; application: ApplicationOut }> {
    if (getIfExists && input.uid) {
      const existing = await this.applications.findOptional(tenantId, input.uid);
      if (existing) return { created: false, application: toOut(existing) };
    }
    const data = { ...toData(input), name: input.name };
    return { created: true, application: toOut(await this.applications.create(tenantId, data)) };
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<ApplicationOut>> {
    return mapPage(await this.applications.list(tenantId, query), toOut);
  }

  async get(tenantId: string, idOrUid: string): Promise<ApplicationOut> {
    return toOut(await this.applications.find(tenantId, idOrUid));
  }

  /** Svix's PUT: replaces the application, or creates it (with the path as uid) when it does not exist. */
  async upsert(
    tenantId: string,
    idOrUid: string,
    input: ApplicationInDto,
  ): Promise<{ created: boolean; application: ApplicationOut }> {
    const existing = await this.applications.findOptional(tenantId, idOrUid);
    if (!existing) {
      const uid = input.uid ?? (idOrUid.startsWith('app_') ? null : idOrUid);
      if (uid !== null && isReservedUid(uid)) {
        throw ValidationError.field(['path', 'app_id'], RESERVED_UID_MESSAGE, 'reserved_uid');
      }
      const data = { ...toData(input), name: input.name, uid };
      return { created: true, application: toOut(await this.applications.create(tenantId, data)) };
    }
    const data = { metadata: {}, throttleRate: null, uid: null, ...toData(input), name: input.name };
    return {
      created: false,
      application: toOut(await this.applications.update(tenantId, existing.id, data)),
    };
  }

  async patch(tenantId: string, idOrUid: string, input: ApplicationPatchDto): Promise<ApplicationOut> {
    const existing = await this.applications.find(tenantId, idOrUid);
    return toOut(await this.applications.update(tenantId, existing.id, toData(input)));
  }

  async delete(tenantId: string, idOrUid: string): Promise<void> {
    const existing = await this.applications.find(tenantId, idOrUid);
    await this.applications.delete(tenantId, existing.id);
  }
}

function toData(input: Partial<ApplicationInDto>): Partial<ApplicationData> {
  const data: Partial<ApplicationData> = {};
  if (input.name !== undefined) data.name = input.name;
  if (input.uid !== undefined) data.uid = input.uid;
  if (input.metadata !== undefined) data.metadata = input.metadata;
  const rate = input.throttleRate !== undefined ? input.throttleRate : input.rateLimit;
  if (rate !== undefined) data.throttleRate = rate;
  return data;
}

function toOut(record: ApplicationRecord): ApplicationOut {
  return { ...record, rateLimit: record.throttleRate };
}
