import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ReconcilerService } from '@app/delivery';
import { PeriodicLoop } from './periodic-loop';

/**
 * Runs the reconciler every RECONCILER_INTERVAL in this worker process (see PeriodicLoop: a timer, failed
 * ticks logged and retried, shutdown waits for a running tick).
 */
@Injectable()
export class ReconcilerLoop extends PeriodicLoop {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reconciler: ReconcilerService,
  ) {
    super('reconciler', config.reconciler.intervalMs);
  }

  protected async tick(): Promise<boolean> {
    const report = await this.reconciler.tick();
    if (report.requeued > 0 || report.outbox > 0) this.logger.log(report, 'reconciler tick');
    return false;
  }
}
