import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApiKeyRepository } from '@app/db';
import { ApiKeyHasher, apiKeyPrefix, DomainError } from '@app/domain';

/**
 * Tenant API keys to tenants: the lookup the AuthGuard and the relay's WebSocket upgrade share. A key hashed
 * under a previous master key (ENCRYPTION_KEY_PREVIOUS) still works and is re-hashed under the current one
 * on this use, so it keeps working once the previous key is removed.
 */
@Injectable()
export class TenantKeys {
  private readonly hasher: ApiKeyHasher;

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.hasher = new ApiKeyHasher(config.encryptionKeys);
  }

  /** The tenant of a live key, or a 401. */
  async resolve(token: string): Promise<string> {
    const prefix = apiKeyPrefix(token);
    if (prefix) {
      for (const candidate of await this.apiKeys.findActiveByPrefix(prefix)) {
        const match = this.hasher.matches(token, candidate);
        if (match === 'rehash') {
          // Best effort: a failed write leaves the old hash, which still matches while its key is configured
          // and is re-hashed on the next use.
          await this.apiKeys
            .rehash(candidate.id, prefix, candidate.hash, this.hasher.hashWithCurrent(token))
            .catch(() => undefined);
        }
        if (match !== 'no') return candidate.tenantId;
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
