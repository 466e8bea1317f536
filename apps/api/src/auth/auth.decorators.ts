import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { PortalCapability } from '@app/domain';
import type { PortalSession } from './portal-token.service';

/**
 * Who may call a route. Every controller says it: a route without it is refused (secure by default).
 * - `public`: anyone (health checks, docs);
 * - `admin`: the operator, with `Authorization: Bearer $ADMIN_TOKEN`;
 * - `tenant`: a tenant API key, and also a consumer-portal token when the route says `@PortalAccess(…)`;
 * - `portal`: a consumer-portal token only (logout).
 */
export type Audience = 'public' | 'admin' | 'tenant' | 'portal';
export const AUDIENCE = 'hookrelay:audience';
/** The capability a portal token needs on a tenant route; absent: portal tokens are refused there. */
export const PORTAL_CAPABILITY = 'hookrelay:portal-capability';

export const Public = () => SetMetadata(AUDIENCE, 'public' satisfies Audience);
/** On a public route that does work per request (a database read): limited per source address. */
export const SOURCE_LIMITED = 'hookrelay:source-limited';
export const LimitedPerSource = () => SetMetadata(SOURCE_LIMITED, true);
export const AdminOnly = () => SetMetadata(AUDIENCE, 'admin' satisfies Audience);
export const TenantOnly = () => SetMetadata(AUDIENCE, 'tenant' satisfies Audience);
export const PortalOnly = () => SetMetadata(AUDIENCE, 'portal' satisfies Audience);

/**
 * Opens a tenant route to consumer-portal tokens holding `capability` (or one that includes it). The token
 * works only on its own application: the guard answers 404 when the path's `appId` names another one.
 */
export const PortalAccess = (capability: PortalCapability) => SetMetadata(PORTAL_CAPABILITY, capability);

export interface AuthenticatedRequest extends FastifyRequest {
  tenantId?: string;
  /** Set when a consumer-portal token authenticated the request. */
  portal?: PortalSession;
}

/** The tenant that the guard resolved from the API key or the portal token. */
export const TenantId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const tenantId = context.switchToHttp().getRequest<AuthenticatedRequest>().tenantId;
  if (!tenantId) throw new Error('TenantId used on a route without @TenantOnly() or @PortalOnly()');
  return tenantId;
});

/** The portal session behind the request, or undefined when a tenant API key made it. */
export const Portal = createParamDecorator(
  (_: unknown, context: ExecutionContext): PortalSession | undefined =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().portal,
);
