import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppConfig, ConfigModule, loggerOptions } from '@app/config';
import { DbModule } from '@app/db';
import { QueueModule } from '@app/queue';
import { DeliveryModule } from '@app/delivery';

import { ErrorFilter } from './common/error.filter';
import { ZodValidationPipe } from './common/zod-validation.pipe';
import { IdempotencyInterceptor } from './common/idempotency.interceptor';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { AdminModule } from './admin/admin.module';
import { ApplicationsModule } from './applications/applications.module';
import { EventTypesModule } from './event-types/event-types.module';
import { EndpointsModule } from './endpoints/endpoints.module';
import { OperationalWebhooksModule } from './operational-webhooks/operational-webhooks.module';
import { MessagesModule } from './messages/messages.module';
import { AttemptsModule } from './attempts/attempts.module';
import { AdminHealthController, HealthController, ReadinessChecks } from './health/health.controller';
import { WebModule } from './web/web.module';
import { RelayModule } from './relay/relay.module';
import { OperationsModule } from './operations/operations.module';
import { BackgroundTasksModule } from './background-tasks/background-tasks.module';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { DashboardModule } from './dashboard/dashboard.module';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(logger)),
        DbModule,
        QueueModule,
        DeliveryModule,
        AuthModule,
        AdminModule,
        ApplicationsModule,
        EventTypesModule,
        EndpointsModule,
        OperationalWebhooksModule,
        MessagesModule,
        AttemptsModule,
        WebModule,
        RelayModule,
        OperationsModule,
        BackgroundTasksModule,
        DeadLettersModule,
        DashboardModule,
      ],
      controllers: [HealthController, AdminHealthController],
      providers: [
        ReadinessChecks,
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        { provide: APP_GUARD, useClass: AuthGuard },
        // First interceptor, so the outermost: it stores what every other interceptor produced.
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
