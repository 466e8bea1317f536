import { DynamicModule, Module, OnModuleInit, Inject } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule, loggerOptions } from '@app/config';
import { DbModule } from '@app/db';
import { QueueModule, QueueName } from '@app/queue';

import { assertRegistryComplete, JOB_HANDLERS, type JobHandlers } from './jobs/job-handlers';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { TenantPurgeService } from './maintenance/tenant-purge.service';
import { RedisPolicyCheck } from './startup/redis-policy.check';

const PROCESSORS = [MaintenanceProcessor];

/** Wires each job of the registry to the service method that does it. */
const jobHandlersProvider = {
  provide: JOB_HANDLERS,
  inject: [TenantPurgeService],
  useFactory: (purge: TenantPurgeService): JobHandlers => ({
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
      ],
      providers: [jobHandlersProvider, TenantPurgeService, RedisPolicyCheck, ...PROCESSORS],
    };
  }

  onModuleInit(): void {
    assertRegistryComplete(
      this.handlers,
      PROCESSORS.map((processor): QueueName => processor.queue),
    );
  }
}
