import { Module } from '@nestjs/common';
import { EndpointRecoveryController } from './endpoint-recovery.controller';
import { EndpointRecoveryService } from './endpoint-recovery.service';

/** Recover, replay-missing, stats and send-example: the endpoint routes that send or count deliveries. */
@Module({
  controllers: [EndpointRecoveryController],
  providers: [EndpointRecoveryService],
})
export class EndpointRecoveryModule {}
