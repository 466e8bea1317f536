import { Module } from '@nestjs/common';
import { EndpointsController } from './endpoints.controller';
import { EndpointsService } from './endpoints.service';
import { EndpointRecoveryModule } from './endpoint-recovery.module';
import { PublicKeysController } from './public-keys.controller';
import { EndpointOauthController } from './endpoint-oauth.controller';
import { EndpointOauthService } from './endpoint-oauth.service';

@Module({
  imports: [EndpointRecoveryModule],
  controllers: [EndpointsController, PublicKeysController, EndpointOauthController],
  providers: [EndpointsService, EndpointOauthService],
  exports: [EndpointsService],
})
export class EndpointsModule {}
