import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PortalTokenService } from './portal-token.service';

/** Portal tokens and their routes; exports the token service for the global AuthGuard. */
@Module({
  controllers: [AuthController],
  providers: [AuthService, PortalTokenService],
  exports: [PortalTokenService],
})
export class AuthModule {}
