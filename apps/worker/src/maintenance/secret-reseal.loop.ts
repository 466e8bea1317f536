import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretResealService } from '@app/delivery';

/**
 * Runs the re-seal pass at start-up and every SECRET_RESEAL_INTERVAL in this worker process, as RetentionLoop
 * runs retention: a timer, one worker at a time (advisory lock). After a key rotation the first pass, at the
 * restart that brought the new key, does the work; later passes find nothing and cost one count. A failed pass
 * is logged and the next one tries again; shutdown waits for a running one.
 */
@Injectable()
export class SecretResealLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SecretResealLoop.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reseal: SecretResealService,
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
      this.running = this.runPass().finally(() => {
        this.running = undefined;
        this.schedule(this.config.secretReseal.intervalMs);
      });
    }, delayMs);
  }

  private async runPass(): Promise<void> {
    try {
      const report = await this.reseal.tick();
      if (!report.ran) return;
      const { resealed, remaining, unreadable, apiKeysOnOlderKeys } = report;
      if (resealed > 0 || remaining > 0 || apiKeysOnOlderKeys > 0) {
        const summary = {
          resealed,
          remaining,
          apiKeysOnOlderKeys,
          unreadable: unreadable.length,
          unreadableIds: unreadable.slice(0, 20),
        };
        if (unreadable.length > 0) {
          this.logger.warn(
            summary,
            'sealed values re-sealed; some rows do not open with any configured key (see docs/operations.md, key rotation)',
          );
        } else {
          this.logger.log(
            summary,
            'sealed values re-sealed to the current key (remaining: rows still on an older key)',
          );
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'secret re-seal pass failed; the next one will try again');
    }
  }
}
