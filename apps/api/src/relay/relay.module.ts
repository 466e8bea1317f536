import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RelayController } from './relay.controller';
import { RelayBus } from './relay.bus';
import { RelayHub } from './relay.hub';

/** `hookrelay listen`: deliveries relayed over a WebSocket to a developer's machine. */
@Module({
  imports: [AuthModule],
  controllers: [RelayController],
  providers: [RelayHub, RelayBus],
})
export class RelayModule {}
