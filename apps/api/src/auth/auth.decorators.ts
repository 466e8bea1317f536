import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who may call a route. Every controller says it: a route without it is refused (secure by default). */
export type Audience = 'public' | 'admin' | 'tenant';
export const AUDIENCE = 'hookrelay:audience';

/** Anyone (health checks, docs). */
export const Public = () => SetMetadata(AUDIENCE, 'public' satisfies Audience);
/** The operator, with `Authorization: Bearer $ADMIN_TOKEN`. */
export const AdminOnly = () => SetMetadata(AUDIENCE, 'admin' satisfies Audience);
/** A tenant, with `Authorization: Bearer <tenant API key>`. */
export const TenantOnly = () => SetMetadata(AUDIENCE, 'tenant' satisfies Audience);

export interface AuthenticatedRequest extends FastifyRequest {
  tenantId?: string;
}

/** The tenant that the guard resolved from the API key. */
export const TenantId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const tenantId = context.switchToHttp().getRequest<AuthenticatedRequest>().tenantId;
  if (!tenantId) throw new Error('TenantId used on a route without @TenantOnly()');
  return tenantId;
});
