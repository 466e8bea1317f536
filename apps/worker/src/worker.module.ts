import { DynamicModule, Module, OnModuleInit, Inject } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule, loggerOptions } from '@app/config';
import { DbModule } from '@app/db';
import { QueueModule, QueueName } from '@app/queue';

import { assertRegistryComplete, JOB_HANDLERS, type JobHandlers } from './jobs/job-handlers';
import { DeliveryModule, DeliveryAttemptService, DeliverySweeperService } from '@app/delivery';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { SweeperScheduler } from './maintenance/sweeper.scheduler';
import { TenantPurgeService } from './maintenance/tenant-purge.service';
import { RedisPolicyCheck } from './startup/redis-policy.check';

const PROCESSORS = [DeliveryProcessor, MaintenanceProcessor];

/** Wires each job of the registry to the service method that does it. */
const jobHandlersProvider = {
  provide: JOB_HANDLERS,
  inject: [DeliveryAttemptService, DeliverySweeperService, TenantPurgeService],
  useFactory: (
    attempts: DeliveryAttemptService,
    sweeper: DeliverySweeperService,
    purge: TenantPurgeService,
  ): JobHandlers => ({
    DeliveryAttemptV1: ({ deliveryId, attempt, trigger }) => attempts.attempt(deliveryId, attempt, trigger),
    SweepDeliveriesV1: () => sweeper.sweep(),
    TenantPurgeV1: ({ tenantId }) => purge.purge(tenantId),
  }),
};

@Module({})
export class WorkerModule implements OnModuleInit {
  constructor(@Inject(JOB_HANDLERS) private readonly handlers: JobHandlers) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, 'worker')),
        DbModule,
        QueueModule,
        DeliveryModule,
      ],
      providers: [jobHandlersProvider, TenantPurgeService, RedisPolicyCheck, SweeperScheduler, ...PROCESSORS],
    };
  }

  onModuleInit(): void {
    assertRegistryComplete(
      this.handlers,
      PROCESSORS.map((processor): QueueName => processor.queue),
    );
  }
}
