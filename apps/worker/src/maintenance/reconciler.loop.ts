import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ReconcilerService } from '@app/delivery';

/**
 * Runs the reconciler every RECONCILER_INTERVAL in this worker process: a timer in the process, not a
 * BullMQ schedule, so it keeps running when Redis loses its keys. A failed tick (PostgreSQL down) is logged
 * and the next one tries again. Shutdown waits for a running tick.
 */
@Injectable()
export class ReconcilerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcilerLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reconciler: ReconcilerService,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runTick().finally(() => {
        this.running = undefined;
        this.schedule(this.config.reconciler.intervalMs);
      });
    }, delayMs);
  }

  private async runTick(): Promise<void> {
    try {
      const report = await this.reconciler.tick();
      if (report.requeued > 0 || report.outbox > 0) this.logger.log(report, 'reconciler tick');
    } catch (error) {
      this.logger.warn({ err: error }, 'reconciler tick failed; the next one will try again');
    }
  }
}
