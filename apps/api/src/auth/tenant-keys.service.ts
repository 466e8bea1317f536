import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApiKeyRepository } from '@app/db';
import { apiKeyHashKey, apiKeyMatches, apiKeyPrefix, DomainError } from '@app/domain';

/** Tenant API keys to tenants: the lookup the AuthGuard and the relay's WebSocket upgrade share. */
@Injectable()
export class TenantKeys {
  private readonly hashKey: Buffer;

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.hashKey = apiKeyHashKey(config.encryptionKey);
  }

  /** The tenant of a live key, or a 401. */
  async resolve(token: string): Promise<string> {
    const prefix = apiKeyPrefix(token);
    if (prefix) {
      for (const candidate of await this.apiKeys.findActiveByPrefix(prefix)) {
        if (apiKeyMatches(this.hashKey, token, candidate.hash)) return candidate.tenantId;
      }
    }
    throw DomainError.unauthorized('The API key is invalid or has been revoked.');
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
