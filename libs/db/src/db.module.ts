import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { SqlService } from './sql.service';
import { TenantRepository } from './tenant.repository';
import { ApiKeyRepository } from './api-key.repository';
import { ApplicationRepository } from './application.repository';
import { IdempotencyRepository } from './idempotency.repository';
import { MessageRepository } from './message.repository';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryLogRepository } from './delivery-log.repository';
import { EventTypeRepository } from './event-type.repository';
import { EndpointRepository } from './endpoint.repository';
import { EndpointOauthRepository } from './endpoint-oauth.repository';
import { AppSecretBox } from './secret-box.provider';
import { SealedValuesRepository } from './sealed-values.repository';
import { OutboxRepository } from './outbox.repository';
import { AdvisoryLocks } from './advisory-locks';
import { ReadCache } from './read-cache';
import { PortalAccessRepository } from './portal-access.repository';
import { RetentionRepository } from './retention.repository';
import { BackgroundTaskRepository } from './background-task.repository';
import { DeadLetterRepository } from './dead-letter.repository';
import { DeliveryStatsRepository } from './delivery-stats.repository';
import { MessageSearchRepository } from './message-search.repository';

const REPOSITORIES = [
  TenantRepository,
  ApiKeyRepository,
  ApplicationRepository,
  IdempotencyRepository,
  MessageRepository,
  DeliveryRepository,
  DeliveryLogRepository,
  EventTypeRepository,
  EndpointRepository,
  EndpointOauthRepository,
  AppSecretBox,
  SealedValuesRepository,
  OutboxRepository,
  AdvisoryLocks,
  PortalAccessRepository,
  RetentionRepository,
  BackgroundTaskRepository,
  DeadLetterRepository,
  DeliveryStatsRepository,
  MessageSearchRepository,
];

@Global()
@Module({
  providers: [PrismaService, SqlService, ReadCache, ...REPOSITORIES],
  exports: [PrismaService, ...REPOSITORIES],
})
export class DbModule {}
