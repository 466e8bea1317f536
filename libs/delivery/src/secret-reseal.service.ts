import { Injectable } from '@nestjs/common';
import { AdvisoryLocks, ApiKeyRepository, AppSecretBox, SealedValuesRepository } from '@app/db';
import { Metrics } from './metrics';

/** Rows per re-seal transaction: short enough that a row lock is never held for long. */
const BATCH = 200;

export interface ResealReport {
  /** False when another worker held the lock. */
  ran: boolean;
  resealed: number;
  /** Ids of rows whose values did not open (unknown key version or tampered): left as they were. */
  unreadable: string[];
  /** Rows still needing a re-seal after this pass (unreadable ones, and any written meanwhile by an old key). */
  remaining: number;
  /**
   * Live API keys still hashed under an older master key. An HMAC cannot be moved without the API key itself,
   * so they move on their next use (TenantKeys); any left when the previous key is removed stop working.
   */
  apiKeysOnOlderKeys: number;
}

/**
 * Moves every sealed value to the current key (ENCRYPTION_KEY / ENCRYPTION_KEY_VERSION) and the bound form
 * (`v<n>c:`), and seals custom headers still stored in clear. Each pass walks the rows that need it once, in id
 * order, `BATCH` rows per transaction; one worker at a time runs it (advisory lock). Idempotent: a row already
 * current is never selected, so a pass after a finished one does nothing. `remaining` reaching 0 (the gauge
 * `hookrelay_sealed_rows_pending_reseal`, and the log line), with no API key left on an older key
 * (`hookrelay_api_keys_on_older_key`), is what tells an operator the previous key can go.
 */
@Injectable()
export class SecretResealService {
  constructor(
    private readonly sealed: SealedValuesRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly box: AppSecretBox,
    private readonly locks: AdvisoryLocks,
    private readonly metrics: Metrics,
  ) {}

  async tick(): Promise<ResealReport> {
    const report = await this.locks.exclusively('hookrelay:secret-reseal', () => this.pass());
    return report ?? { ran: false, resealed: 0, unreadable: [], remaining: 0, apiKeysOnOlderKeys: 0 };
  }

  private async pass(): Promise<ResealReport> {
    const report: ResealReport = {
      ran: true,
      resealed: 0,
      unreadable: [],
      remaining: 0,
      apiKeysOnOlderKeys: 0,
    };
    let cursor = '';
    for (;;) {
      const batch = await this.sealed.resealBatch(cursor, BATCH);
      report.resealed += batch.resealed;
      report.unreadable.push(...batch.unreadable);
      this.metrics.sealedRowsResealed.inc(batch.resealed);
      if (batch.lastId === null || batch.scanned < BATCH) break;
      cursor = batch.lastId;
    }
    report.remaining = await this.sealed.countNeedingReseal();
    report.apiKeysOnOlderKeys = await this.apiKeys.countHashedUnderOlderKeys(this.box.currentVersion);
    this.metrics.sealedRowsPending.set(report.remaining);
    this.metrics.apiKeysOnOlderKeys.set(report.apiKeysOnOlderKeys);
    return report;
  }
}
