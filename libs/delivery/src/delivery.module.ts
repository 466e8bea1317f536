import { Global, Module } from '@nestjs/common';
import { WebhookSender } from './webhook-sender';
import { MessageIngestService } from './message-ingest.service';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { OperationalEventsService } from './operational-events.service';
import { DeliveryRecoveryService } from './delivery-recovery.service';
import { EndpointResumeService } from './endpoint-resume.service';
import { OutboxService } from './outbox.service';
import { ReconcilerService } from './reconciler.service';
import { Metrics } from './metrics';
import { RetentionService } from './retention.service';
import { SecretResealService } from './secret-reseal.service';
import { BackgroundTaskRunner } from './background-task.runner';
import { ReceiverTokenService } from './receiver-token.service';
import { EndpointVerificationService } from './endpoint-verification.service';

const SERVICES = [
  WebhookSender,
  MessageIngestService,
  DeliveryAttemptService,
  OperationalEventsService,
  DeliveryRecoveryService,
  EndpointResumeService,
  OutboxService,
  ReconcilerService,
  Metrics,
  RetentionService,
  SecretResealService,
  BackgroundTaskRunner,
  ReceiverTokenService,
  EndpointVerificationService,
];

/** The delivery engine, shared by the API (ingest, recovery) and the worker (attempts, reconciler). */
@Global()
@Module({ providers: SERVICES, exports: SERVICES })
export class DeliveryModule {}
