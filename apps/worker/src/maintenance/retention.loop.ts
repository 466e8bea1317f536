import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { RetentionService } from '@app/delivery';

/**
 * Runs retention every RETENTION_INTERVAL in this worker process, as ReconcilerLoop runs the reconciler: a
 * timer, not a queue job; one worker at a time does the work (advisory lock). A tick that still had old
 * messages to look at when it used up its batches runs again right away, so a backlog drains at batch pace
 * while every statement stays short. A failed tick is logged and the next one tries again; shutdown waits for
 * a running one.
 */
@Injectable()
export class RetentionLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly retention: RetentionService,
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
      let again = false;
      this.running = this.runTick()
        .then((more) => {
          again = more;
        })
        .finally(() => {
          this.running = undefined;
          this.schedule(again ? 0 : this.config.retention.intervalMs);
        });
    }, delayMs);
  }

  /** True when there is more to do now. */
  private async runTick(): Promise<boolean> {
    try {
      const report = await this.retention.tick();
      if (report.messages > 0) this.logger.log(report, 'retention deleted expired messages');
      return report.ran && !report.walkedAll;
    } catch (error) {
      this.logger.warn({ err: error }, 'retention tick failed; the next one will try again');
      return false;
    }
  }
}
