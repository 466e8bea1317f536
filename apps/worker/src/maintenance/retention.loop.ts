import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { RetentionService } from '@app/delivery';
import { PeriodicLoop } from './periodic-loop';

/**
 * Runs retention every RETENTION_INTERVAL in this worker process, as ReconcilerLoop runs the reconciler (see
 * PeriodicLoop); one worker at a time does the work (advisory lock). A tick that still had old messages to
 * look at when it used up its batches runs again right away, so a backlog drains at batch pace while every
 * statement stays short.
 */
@Injectable()
export class RetentionLoop extends PeriodicLoop {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly retention: RetentionService,
  ) {
    super('retention', config.retention.intervalMs);
  }

  protected async tick(): Promise<boolean> {
    const report = await this.retention.tick();
    if (report.messages > 0) this.logger.log(report, 'retention deleted expired messages');
    return report.ran && !report.walkedAll;
  }
}
