import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** The operator's views of this process: /metrics here; the queue UI is mounted in app.factory.ts. */
@Module({ controllers: [MetricsController] })
export class OperationsModule {}
