import { Module } from '@nestjs/common';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { OperationalWebhookEndpointsController } from './operational-webhook-endpoints.controller';
import { OperationalWebhookEndpointsService } from './operational-webhook-endpoints.service';

/** Operational webhook endpoints: endpoints of the tenant's hidden operational application. */
@Module({
  imports: [EndpointsModule],
  controllers: [OperationalWebhookEndpointsController],
  providers: [OperationalWebhookEndpointsService],
})
export class OperationalWebhooksModule {}
