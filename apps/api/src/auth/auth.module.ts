import { Module } from '@nestjs/common';
import { RateLimiter } from '@app/queue';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PortalTokenService } from './portal-token.service';
import { TenantKeys } from './tenant-keys.service';
import { RequestLimits } from './request-limits.service';

/**
 * Portal tokens and their routes; exports the token and key lookups and the request limits for the global
 * AuthGuard and the relay.
 */
@Module({
  controllers: [AuthController],
  providers: [AuthService, PortalTokenService, TenantKeys, RateLimiter, RequestLimits],
  exports: [PortalTokenService, TenantKeys, RequestLimits],
})
export class AuthModule {}
