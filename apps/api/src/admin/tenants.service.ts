import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  ApiKeyRecord,
  ApiKeyRepository,
  Page,
  PageQuery,
  TenantRecord,
  TenantRepository,
  TenantSettings,
} from '@app/db';
import { ApiKeyHasher } from '@app/domain';

const DEFAULT_KEY_NAME = 'default';

/** The operator's view of tenants and their API keys. */
@Injectable()
export class TenantsService {
  private readonly hasher: ApiKeyHasher;

  constructor(
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.hasher = new ApiKeyHasher(config.encryptionKeys);
  }

  async create(name: string): Promise<TenantRecord & { apiKey: string }> {
    const issued = this.hasher.issue();
    const { tenant } = await this.tenants.createWithKey(name, { name: DEFAULT_KEY_NAME, ...issued });
    return { ...tenant, apiKey: issued.key };
  }

  list(query: PageQuery): Promise<Page<TenantRecord>> {
    return this.tenants.list(query);
  }

  find(id: string): Promise<TenantRecord> {
    return this.tenants.find(id);
  }

  /** The tenant disappears (and its keys stop working) at once; the workers' reconciler purges its data. */
  async delete(id: string): Promise<void> {
    await this.tenants.markDeleted(id);
  }

  settings(tenantId: string): Promise<TenantSettings> {
    return this.tenants.settings(tenantId);
  }

  updateSettings(tenantId: string, patch: Partial<TenantSettings>): Promise<TenantSettings> {
    return this.tenants.updateSettings(tenantId, patch);
  }

  async createKey(tenantId: string, name: string | undefined): Promise<ApiKeyRecord & { key: string }> {
    const issued = this.hasher.issue();
    const record = await this.apiKeys.create(tenantId, { name: name ?? DEFAULT_KEY_NAME, ...issued });
    return { ...record, key: issued.key };
  }

  listKeys(tenantId: string, query: PageQuery): Promise<Page<ApiKeyRecord>> {
    return this.apiKeys.list(tenantId, query);
  }

  revokeKey(tenantId: string, keyId: string): Promise<void> {
    return this.apiKeys.revoke(tenantId, keyId);
  }
}
