import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { DomainError, OauthClientConfig, SealContext } from '@app/domain';
import { PrismaService } from './prisma.service';
import { ReadCache } from './read-cache';
import { AppSecretBox } from './secret-box.provider';

/** The configuration as shown back: Svix's `EndpointOauthConfigOut`, without the client secret or refresh token. */
export type EndpointOauthShown = Omit<OauthClientConfig, 'clientSecret' | 'refreshToken'>;

/**
 * What `endpoints.oauth` holds: the configuration with the client secret and refresh token sealed with
 * `AppSecretBox`, each bound to its tenant, endpoint and field. Sealed and opened here only (`seal`/`open` below), so no caller handles a sealed value and a
 * change to how secrets are sealed touches this file alone.
 */
interface StoredOauth extends EndpointOauthShown {
  clientSecret: string | null;
  refreshToken: string | null;
  /** New on every PUT, kept when the token server rotates the refresh token: what cached tokens are keyed on. */
  revision: string;
}

/** A delivery's view: `open()` gives the plain config, and is called only when a token must be fetched. */
export interface DeliveryOauth {
  /** Changes with every PUT of the configuration: a token cached under another fingerprint is not reused. */
  fingerprint: string;
  open(): OauthClientConfig;
}

const notFound = () => DomainError.notFound('Endpoint');

/** An endpoint's OAuth2 client configuration toward its receiver (GET/PUT/DELETE …/endpoint/{id}/oauth). */
@Injectable()
export class EndpointOauthRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly box: AppSecretBox,
    private readonly cache: ReadCache,
  ) {}

  async get(tenantId: string, applicationId: string, endpointId: string): Promise<EndpointOauthShown | null> {
    const stored = await this.stored(tenantId, applicationId, endpointId);
    if (!stored) return null;
    const { clientSecret: _secret, refreshToken: _refresh, revision: _revision, ...shown } = stored;
    return shown;
  }

  async set(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    config: OauthClientConfig,
  ): Promise<void> {
    await this.write(
      tenantId,
      applicationId,
      endpointId,
      this.sealed(tenantId, endpointId, config) as unknown as Prisma.InputJsonObject,
    );
  }

  async delete(tenantId: string, applicationId: string, endpointId: string): Promise<void> {
    await this.write(tenantId, applicationId, endpointId, Prisma.DbNull);
  }

  /**
   * The worker's read before every attempt, so cached (most endpoints: null); any endpoint write evicts it.
   * Secrets stay sealed in the cache and are opened only when a token is fetched.
   */
  async findForDelivery(
    tenantId: string,
    applicationId: string,
    endpointId: string,
  ): Promise<DeliveryOauth | null> {
    const stored = await this.cache.get(
      `oauth:${tenantId}:${endpointId}`,
      () => [`tenant:${tenantId}`, `app:${applicationId}`, `endpoints:${applicationId}`],
      async () => (await this.stored(tenantId, applicationId, endpointId).catch(() => null)) ?? null,
    );
    if (!stored) return null;
    return { fingerprint: stored.revision, open: () => this.opened(tenantId, endpointId, stored) };
  }

  /** The token server rotated the refresh token: the next fetch must use the new one. */
  async replaceRefreshToken(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    refreshToken: string,
  ): Promise<void> {
    const stored = await this.stored(tenantId, applicationId, endpointId);
    if (!stored) return;
    const next: StoredOauth = {
      ...stored,
      refreshToken: this.box.seal(
        refreshToken,
        SealContext.endpointOauth(tenantId, endpointId, 'refreshToken'),
      ),
    };
    await this.write(tenantId, applicationId, endpointId, next as unknown as Prisma.InputJsonObject);
  }

  private async stored(
    tenantId: string,
    applicationId: string,
    endpointId: string,
  ): Promise<StoredOauth | null> {
    const row = await this.prisma.endpoint.findFirst({
      where: { tenantId, applicationId, id: endpointId },
      select: { oauth: true },
    });
    if (!row) throw notFound();
    return (row.oauth as StoredOauth | null) ?? null;
  }

  private async write(
    tenantId: string,
    applicationId: string,
    endpointId: string,
    oauth: Prisma.InputJsonObject | typeof Prisma.DbNull,
  ): Promise<void> {
    const { count } = await this.prisma.endpoint.updateMany({
      where: { tenantId, applicationId, id: endpointId },
      data: { oauth },
    });
    if (count === 0) throw notFound();
    await this.cache.invalidate(`endpoints:${applicationId}`);
  }

  private sealed(tenantId: string, endpointId: string, config: OauthClientConfig): StoredOauth {
    const seal = (value: string | null, field: 'clientSecret' | 'refreshToken') =>
      value === null ? null : this.box.seal(value, SealContext.endpointOauth(tenantId, endpointId, field));
    return {
      ...config,
      revision: randomUUID(),
      clientSecret: seal(config.clientSecret, 'clientSecret'),
      refreshToken: seal(config.refreshToken, 'refreshToken'),
    };
  }

  private opened(
    tenantId: string,
    endpointId: string,
    { revision: _revision, ...stored }: StoredOauth,
  ): OauthClientConfig {
    const open = (value: string | null, field: 'clientSecret' | 'refreshToken') =>
      value === null ? null : this.box.open(value, SealContext.endpointOauth(tenantId, endpointId, field));
    return {
      ...stored,
      clientSecret: open(stored.clientSecret, 'clientSecret'),
      refreshToken: open(stored.refreshToken, 'refreshToken'),
    };
  }
}
