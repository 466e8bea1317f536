import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretResealService } from '@app/delivery';
import { PeriodicLoop } from './periodic-loop';

/**
 * Runs the re-seal pass at start-up and every SECRET_RESEAL_INTERVAL in this worker process (see
 * PeriodicLoop); one worker at a time does the work (advisory lock). After a key rotation the first pass, at
 * the restart that brought the new key, does the work; later passes find nothing and cost one count.
 */
@Injectable()
export class SecretResealLoop extends PeriodicLoop {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reseal: SecretResealService,
  ) {
    super('secret re-seal', config.secretReseal.intervalMs);
  }

  protected async tick(): Promise<boolean> {
    const report = await this.reseal.tick();
    if (!report.ran) return false;
    const { resealed, remaining, unreadable, apiKeysOnOlderKeys } = report;
    if (resealed === 0 && remaining === 0 && apiKeysOnOlderKeys === 0) return false;
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
    return false;
  }
}
