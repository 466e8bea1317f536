import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApplicationRepository } from '@app/db';
import { DomainError, hasCapability, PortalCapability } from '@app/domain';
import { AdminToken } from './admin-token';
import {
  AUDIENCE,
  Audience,
  AuthenticatedRequest,
  PORTAL_CAPABILITY,
  SOURCE_LIMITED,
} from './auth.decorators';
import { PortalSession, PortalTokenService } from './portal-token.service';
import { bearerToken, TenantKeys } from './tenant-keys.service';
import { RequestLimits } from './request-limits.service';

/**
 * Global guard: resolves who is calling from the bearer token and checks it against the route's audience
 * and, for consumer-portal tokens, the route's application and required capability.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminToken: AdminToken;

  constructor(
    private readonly reflector: Reflector,
    private readonly tenantKeys: TenantKeys,
    private readonly applications: ApplicationRepository,
    private readonly portalTokens: PortalTokenService,
    private readonly limits: RequestLimits,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.adminToken = new AdminToken(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const audience = this.reflector.getAllAndOverride<Audience | undefined>(AUDIENCE, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (audience === 'public') {
      // No tenant to count against: a public route that reads the database is limited per source address.
      if (this.reflector.getAllAndOverride<boolean | undefined>(SOURCE_LIMITED, targets)) {
        await this.limits.admitSource(request.ip, reply);
      }
      return true;
    }
    // A source that keeps sending bad credentials is refused before its next token is looked at.
    await this.limits.assertSourceAllowed(request.ip, reply);
    try {
      await this.authenticate(audience, request, targets);
    } catch (error) {
      if (error instanceof DomainError && error.status === 401)
        await this.limits.recordAuthFailure(request.ip);
      throw error;
    }
    if (request.tenantId) await this.limits.admitTenant(request.tenantId, reply);
    return true;
  }

  private async authenticate(
    audience: Audience | undefined,
    request: AuthenticatedRequest,
    targets: Parameters<Reflector['getAllAndOverride']>[1],
  ): Promise<true> {
    const token = bearerToken(request.headers.authorization);
    if (audience === 'admin') {
      if (this.adminToken.matches(token)) return true;
      throw DomainError.unauthorized('Send the operator token as "Authorization: Bearer <ADMIN_TOKEN>".');
    }
    if (audience === 'tenant' || audience === 'portal') {
      if (!token) throw DomainError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
      if (PortalTokenService.looksLikeToken(token)) {
        const capability =
          audience === 'portal'
            ? undefined
            : this.reflector.getAllAndOverride<PortalCapability | undefined>(PORTAL_CAPABILITY, targets);
        const session = await this.portalTokens.verify(token);
        if (audience === 'tenant' && !capability) {
          throw new DomainError(
            403,
            'portal_token_not_allowed',
            "Consumer-portal tokens cannot use this route; it needs the tenant's API key.",
          );
        }
        await this.assertSameApplication(session, request);
        if (capability && !hasCapability(session.capabilities, capability)) {
          throw new DomainError(
            403,
            'missing_capability',
            `This portal token lacks the ${capability} capability needed here.`,
            { capability },
          );
        }
        request.tenantId = session.tenantId;
        request.portal = session;
        return true;
      }
      if (audience === 'portal') {
        throw DomainError.unauthorized('This route takes a consumer-portal token, not an API key.');
      }
      request.tenantId = await this.tenantKeys.resolve(token);
      return true;
    }
    // A route that declares no audience is a programming error; refusing is the safe failure.
    throw new DomainError(403, 'forbidden', 'This route is not available.');
  }

  /**
   * A portal token opens its own application only. The path may name the application by id or by uid; any
   * other application, existing or not, is "not found", as another tenant's objects are.
   */
  private async assertSameApplication(session: PortalSession, request: AuthenticatedRequest): Promise<void> {
    const appIdOrUid = (request.params as Record<string, string | undefined> | undefined)?.appId;
    if (appIdOrUid === undefined || appIdOrUid === session.applicationId) return;
    const app = await this.applications.findOptional(session.tenantId, appIdOrUid);
    if (app?.id !== session.applicationId) throw DomainError.notFound('Application');
  }
}
