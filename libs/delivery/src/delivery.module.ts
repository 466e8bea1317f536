import { Global, Module } from '@nestjs/common';
import { WebhookSender } from './webhook-sender';
import { MessageIngestService } from './message-ingest.service';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { DeliverySweeperService } from './delivery-sweeper.service';
import { OperationalEventsService } from './operational-events.service';

const SERVICES = [
  WebhookSender,
  MessageIngestService,
  DeliveryAttemptService,
  DeliverySweeperService,
  OperationalEventsService,
];

/** The delivery engine, shared by the API (ingest, recovery) and the worker (attempts, sweeper). */
@Global()
@Module({ providers: SERVICES, exports: SERVICES })
export class DeliveryModule {}
