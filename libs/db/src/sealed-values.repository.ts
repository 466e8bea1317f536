import { Injectable } from '@nestjs/common';
import { SealContext, splitUrlCredentials } from '@app/domain';
import { AppSecretBox } from './secret-box.provider';
import { SqlService } from './sql.service';
import { openHeaders, sealHeaders } from './sealed-headers';
import { sealUrlCredentials } from './sealed-url-credentials';
import { ReadCache } from './read-cache';

/** One batch of `resealBatch`. */
export interface ResealBatch {
  /** Endpoint rows looked at (every one needed something). */
  scanned: number;
  /** Rows rewritten with every sealed value under the current key and its context. */
  resealed: number;
  /** Rows left as they were because a value did not open (unknown key version, or tampered): their ids. */
  unreadable: string[];
  /** The last id looked at: the next batch starts after it. Null when there was nothing left. */
  lastId: string | null;
}

/**
 * Where every sealed value lives (all in `endpoints`: `secret`, `old_secrets[].secret`, `oauth.clientSecret`,
 * `oauth.refreshToken`, `headers`, `url_credentials`), found and re-sealed in SQL-sized batches: what a key
 * rotation and the move to bound (`v<n>c:`) values need. A row needs a re-seal when any of them does not start
 * with the current prefix, its headers are still a plain object, or its `url` still has user info in it (a row
 * written before credentials were split off: they move to `url_credentials`).
 */
@Injectable()
export class SealedValuesRepository {
  constructor(
    private readonly sql: SqlService,
    private readonly box: AppSecretBox,
    private readonly cache: ReadCache,
  ) {}

  /** Endpoint rows holding at least one value not sealed with the current key and its context. */
  async countNeedingReseal(): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM endpoints e WHERE ${NEEDS_RESEAL}`,
      [this.box.currentPrefix],
    );
    return row?.n ?? 0;
  }

  /**
   * Re-seals up to `limit` rows that need it, in id order after `afterId`, in one transaction: the rows are
   * locked (rows another transaction holds are skipped, for the next pass), so a concurrent rotation or header
   * write is never overwritten with an older value. Idempotent: a row already current is not selected.
   */
  async resealBatch(afterId: string, limit: number): Promise<ResealBatch> {
    const result = await this.sql.transaction(async (tx) => {
      const rows = await tx.query<SealedEndpointRow & { applicationId: string }>(
        `SELECT e.id, e.tenant_id AS "tenantId", e.application_id AS "applicationId", e.secret,
                e.old_secrets AS "oldSecrets", e.oauth, e.headers, e.url, e.url_credentials AS "urlCredentials"
           FROM endpoints e
          WHERE e.id > $2 AND ${NEEDS_RESEAL}
          ORDER BY e.id
          LIMIT $3
            FOR UPDATE SKIP LOCKED`,
        [this.box.currentPrefix, afterId, limit],
      );
      const batch: ResealBatch & { applications: Set<string> } = {
        scanned: rows.length,
        resealed: 0,
        unreadable: [],
        lastId: rows.at(-1)?.id ?? null,
        applications: new Set(),
      };
      for (const row of rows) {
        let next: Resealed;
        try {
          next = this.resealed(row);
        } catch {
          batch.unreadable.push(row.id);
          continue;
        }
        await tx.query(
          `UPDATE endpoints SET secret = $2, old_secrets = $3::jsonb, oauth = $4::jsonb, headers = $5::jsonb,
                  url = $6, url_credentials = $7
            WHERE id = $1`,
          [
            row.id,
            next.secret,
            JSON.stringify(next.oldSecrets),
            next.oauth === null ? null : JSON.stringify(next.oauth),
            JSON.stringify(next.headers),
            next.url,
            next.urlCredentials,
          ],
        );
        batch.resealed++;
        batch.applications.add(row.applicationId);
      }
      return batch;
    });
    // Cached OAuth configurations hold sealed values: drop them so no process keeps the old form around.
    for (const applicationId of result.applications)
      await this.cache.invalidate(`endpoints:${applicationId}`);
    const { applications: _applications, ...batch } = result;
    return batch;
  }

  /** The row's values under the current key and their contexts; throws if one does not open. */
  private resealed(row: SealedEndpointRow): Resealed {
    const secretContext = SealContext.endpointSecret(row.tenantId, row.id);
    const oldSecrets: unknown[] = Array.isArray(row.oldSecrets) ? row.oldSecrets : [];
    let oauth: Record<string, unknown> | null = row.oauth;
    if (oauth !== null && typeof oauth === 'object') {
      oauth = { ...oauth };
      for (const field of ['clientSecret', 'refreshToken'] as const) {
        const value = oauth[field];
        if (typeof value === 'string') {
          oauth[field] = this.box.reseal(value, SealContext.endpointOauth(row.tenantId, row.id, field));
        }
      }
    }
    return {
      secret: this.box.reseal(row.secret, secretContext),
      // Every entry with a sealed secret, as the SQL test finds them; anything else is kept as it is.
      oldSecrets: oldSecrets.map((entry) =>
        hasSecret(entry) ? { ...entry, secret: this.box.reseal(entry.secret, secretContext) } : entry,
      ),
      oauth,
      headers:
        typeof row.headers === 'string'
          ? this.box.reseal(row.headers, SealContext.endpointHeaders(row.tenantId, row.id))
          : sealHeaders(
              this.box,
              row.tenantId,
              row.id,
              openHeaders(this.box, row.tenantId, row.id, row.headers),
            ),
      ...this.resealedUrl(row),
    };
  }

  /**
   * The sealed credentials under the current key; user info still in the URL moves into them (the sealed ones
   * win if a row somehow has both). A URL the SQL test flags without user info the parser sees (an empty `@`,
   * a `\` before it) is written back as the parser spells it, which has no `@` there, so it is not flagged again.
   */
  private resealedUrl(row: { id: string; tenantId: string; url: string; urlCredentials: string | null }): {
    url: string;
    urlCredentials: string | null;
  } {
    const context = SealContext.endpointUrlCredentials(row.tenantId, row.id);
    const split = splitUrlCredentials(row.url);
    const url = split.credentials === null ? parsedHref(row.url) : split.url;
    if (row.urlCredentials !== null)
      return { url, urlCredentials: this.box.reseal(row.urlCredentials, context) };
    return {
      url,
      urlCredentials:
        split.credentials === null
          ? null
          : sealUrlCredentials(this.box, row.tenantId, row.id, split.credentials),
    };
  }
}

/** An endpoint's columns that hold sealed values, as read for re-sealing. */
interface SealedEndpointRow {
  id: string;
  tenantId: string;
  secret: string;
  oldSecrets: unknown;
  oauth: Record<string, unknown> | null;
  headers: unknown;
  url: string;
  urlCredentials: string | null;
}

interface Resealed {
  secret: string;
  oldSecrets: unknown;
  oauth: unknown;
  headers: string;
  url: string;
  urlCredentials: string | null;
}

/** The URL as the WHATWG parser serialises it, when it still has an `@` before its path; otherwise as it is. */
function parsedHref(url: string): string {
  if (!LEGACY_USER_INFO.test(url)) return url;
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/** JS twin of the SQL test below: an `@` in the authority (before the first `/`, `?` or `#` after `//`). */
const LEGACY_USER_INFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;

/**
 * SQL: row `e` holds a value not sealed with the current key (`$1`, e.g. `v2c:`) and its context, or user info
 * in its URL. `LIKE` with `$1 || '%'` is a prefix test (a prefix has no `%` or `_`); a NULL OAuth secret or
 * NULL URL credentials need nothing.
 */
const NEEDS_RESEAL = `(
  e.secret NOT LIKE $1 || '%'
  OR e.url_credentials NOT LIKE $1 || '%'
  OR e.url ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@'
  OR jsonb_typeof(e.headers) <> 'string' OR (e.headers #>> '{}') NOT LIKE $1 || '%'
  OR (jsonb_typeof(e.oauth) = 'object' AND (
        coalesce(e.oauth ->> 'clientSecret', $1) NOT LIKE $1 || '%'
     OR coalesce(e.oauth ->> 'refreshToken', $1) NOT LIKE $1 || '%'))
  OR (jsonb_typeof(e.old_secrets) = 'array' AND EXISTS (
        SELECT 1 FROM jsonb_array_elements(e.old_secrets) o
         WHERE jsonb_typeof(o) = 'object' AND jsonb_typeof(o -> 'secret') = 'string'
           AND (o ->> 'secret') NOT LIKE $1 || '%'))
)`;

function hasSecret(entry: unknown): entry is { secret: string } {
  return (
    typeof entry === 'object' && entry !== null && typeof (entry as { secret?: unknown }).secret === 'string'
  );
}
