import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApplicationRecord, ApplicationRepository, PortalAccessRepository } from '@app/db';
import {
  DomainError,
  grantedCapabilities,
  isId,
  PORTAL_TOKEN_DEFAULT_EXPIRY_S,
  ValidationError,
} from '@app/domain';
import type { AppPortalAccessInDto, ApplicationTokenExpireInDto } from './auth.dto';
import { PortalSession, PortalTokenService } from './portal-token.service';

export interface AppPortalAccessOut {
  url: string;
  token: string;
}

/** Where the web app shows the consumer portal, under PUBLIC_URL. */
export const PORTAL_PATH = '/portal';

/** Svix's authentication routes for the consumer portal: issue, expire and log out portal tokens. */
@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly applications: ApplicationRepository,
    private readonly access: PortalAccessRepository,
    private readonly tokens: PortalTokenService,
  ) {}

  /**
   * A portal link for one application: `{PUBLIC_URL}/portal#token=…`. The token rides in the fragment, which
   * browsers never send to a server, so it stays out of access logs and Referer headers.
   */
  async appPortalAccess(
    tenantId: string,
    appIdOrUid: string,
    input: AppPortalAccessInDto,
  ): Promise<AppPortalAccessOut> {
    const capabilities = grantedCapabilities(input);
    if (!capabilities) {
      throw ValidationError.field(
        ['body', 'readOnly'],
        'readOnly cannot be combined with capabilities that change something; send capabilities alone',
      );
    }
    const application = await this.findOrCreate(tenantId, appIdOrUid, input.application ?? undefined);
    const { token } = await this.tokens.issue({
      tenantId,
      applicationId: application.id,
      capabilities,
      featureFlags: [...new Set(input.featureFlags ?? [])],
      sessionId: input.sessionId ?? null,
      expirySeconds: input.expiry ?? PORTAL_TOKEN_DEFAULT_EXPIRY_S,
    });
    return { url: `${this.portalUrl()}#token=${token}`, token };
  }

  /**
   * Revokes the application's portal tokens issued until now (only those of `sessionIds` when given), at once
   * or after `expiry` seconds. Tokens issued afterwards keep working.
   */
  async expireAll(tenantId: string, appIdOrUid: string, input: ApplicationTokenExpireInDto): Promise<void> {
    const application = await this.applications.find(tenantId, appIdOrUid);
    const now = new Date();
    await this.access.revoke(tenantId, application.id, {
      issuedBefore: now,
      effectiveAt: new Date(now.getTime() + (input.expiry ?? 0) * 1000),
      sessionIds: input.sessionIds && input.sessionIds.length > 0 ? input.sessionIds : undefined,
    });
  }

  /** Revokes the very token of the request (Svix's logout). */
  async logout(session: PortalSession): Promise<void> {
    const now = new Date();
    await this.access.revoke(session.tenantId, session.applicationId, {
      issuedBefore: now,
      effectiveAt: now,
      tokenId: session.tokenId,
    });
  }

  private portalUrl(): string {
    return this.config.http.publicUrl.replace(/\/+$/, '') + PORTAL_PATH;
  }

  /**
   * Svix: "Optionally creates a new application while generating the access link. If the application id or
   * uid that is used in the path already exists, this argument is ignored." A new application takes the path
   * as its uid; an `app_…` id that does not exist cannot be created under that id.
   */
  private async findOrCreate(
    tenantId: string,
    appIdOrUid: string,
    create: AppPortalAccessInDto['application'] | undefined,
  ): Promise<ApplicationRecord> {
    const existing = await this.applications.findOptional(tenantId, appIdOrUid);
    if (existing) return existing;
    if (!create || isId('application', appIdOrUid)) throw DomainError.notFound('Application');
    if (create.uid && create.uid !== appIdOrUid) {
      throw ValidationError.field(
        ['body', 'application', 'uid'],
        `application.uid must match the application in the path ("${appIdOrUid}") or be left out`,
      );
    }
    try {
      return await this.applications.create(tenantId, {
        name: create.name,
        uid: appIdOrUid,
        metadata: create.metadata,
        throttleRate: create.throttleRate ?? create.rateLimit ?? null,
      });
    } catch (error) {
      // Created by a concurrent request since the lookup: use that one, as if it had been found.
      const raced = await this.applications.findOptional(tenantId, appIdOrUid);
      if (raced) return raced;
      throw error;
    }
  }
}
