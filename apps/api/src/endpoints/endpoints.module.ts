import { Module } from '@nestjs/common';
import { EndpointsController } from './endpoints.controller';
import { EndpointsService } from './endpoints.service';
import { EndpointRecoveryModule } from './endpoint-recovery.module';
import { PublicKeysController } from './public-keys.controller';

@Module({
  imports: [EndpointRecoveryModule],
  controllers: [EndpointsController, PublicKeysController],
  providers: [EndpointsService],
  exports: [EndpointsService],
})
export class EndpointsModule {}
