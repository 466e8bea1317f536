import { Global, Module } from '@nestjs/common';
import { WebhookSender } from './webhook-sender';
import { MessageIngestService } from './message-ingest.service';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { DeliverySweeperService } from './delivery-sweeper.service';
import { OperationalEventsService } from './operational-events.service';
import { DeliveryRecoveryService } from './delivery-recovery.service';
import { EndpointResumeService } from './endpoint-resume.service';

const SERVICES = [
  WebhookSender,
  MessageIngestService,
  DeliveryAttemptService,
  DeliverySweeperService,
  OperationalEventsService,
  DeliveryRecoveryService,
  EndpointResumeService,
];

/** The delivery engine, shared by the API (ingest, recovery) and the worker (attempts, sweeper). */
@Global()
@Module({ providers: SERVICES, exports: SERVICES })
export class DeliveryModule {}
