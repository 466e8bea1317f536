import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig, ConfigModule, createLogger, loggerOptions } from '@app/config';
import { DbModule } from '@app/db';
import { DeliveryAttemptService, DeliveryModule, FlowControlService, Metrics } from '@app/delivery';
import { QUEUES, QueueModule, QueueName } from '@app/queue';
import { deliveryAttemptHandler } from './delivery/delivery-attempt.handler';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { assertRegistryComplete, JOB_HANDLERS, type JobHandlers } from './jobs/job-handlers';
import { ReconcilerLoop } from './maintenance/reconciler.loop';
import { RetentionLoop } from './maintenance/retention.loop';
import { SecretResealLoop } from './maintenance/secret-reseal.loop';
import { WorkerMetricsServer } from './metrics/metrics.server';
import { RedisPolicyCheck } from './startup/redis-policy.check';

const PROCESSORS = [DeliveryProcessor];

/** Wires each job of the registry to the service method that does it. */
const jobHandlersProvider = {
  provide: JOB_HANDLERS,
  inject: [FlowControlService, DeliveryAttemptService, Metrics],
  useFactory: (
    flow: FlowControlService,
    attempts: DeliveryAttemptService,
    metrics: Metrics,
  ): JobHandlers => ({
    DeliveryAttemptV2: deliveryAttemptHandler(flow, attempts, metrics),
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
        LoggerModule.forRoot(loggerOptions(createLogger(config, 'worker'))),
        DbModule,
        QueueModule,
        DeliveryModule,
        // Registering the queue is what makes @nestjs/bullmq start the @Processor workers on it.
        BullModule.registerQueue({ name: QUEUES.delivery }),
      ],
      // Flow control is the worker's alone (its Redis connection waits for Redis, as workers do).
      providers: [
        FlowControlService,
        jobHandlersProvider,
        RedisPolicyCheck,
        ReconcilerLoop,
        RetentionLoop,
        SecretResealLoop,
        WorkerMetricsServer,
        ...PROCESSORS,
      ],
    };
  }

  onModuleInit(): void {
    assertRegistryComplete(
      this.handlers,
      PROCESSORS.map((processor): QueueName => processor.queue),
    );
  }
}
