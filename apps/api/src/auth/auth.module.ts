import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PortalTokenService } from './portal-token.service';
import { TenantKeys } from './tenant-keys.service';

/** Portal tokens and their routes; exports the token and key lookups for the global AuthGuard and the relay. */
@Module({
  controllers: [AuthController],
  providers: [AuthService, PortalTokenService, TenantKeys],
  exports: [PortalTokenService, TenantKeys],
})
export class AuthModule {}
