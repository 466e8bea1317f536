import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for what must not sit in the database in clear: endpoint signing secrets, OAuth client
 * secrets and refresh tokens, custom header values, credentials from endpoint URLs. AES-256-GCM with a random 96-bit IV.
 *
 * Sealed form: `v<version>c:` + base64(iv | tag | ciphertext), where
 * - `<version>` names the master key (ENCRYPTION_KEY_VERSION), so the master key can rotate: new values are
 *   sealed with the current key while values sealed earlier still open with theirs (ENCRYPTION_KEY_PREVIOUS);
 * - the AES key is not the master key but its HKDF-SHA256 subkey for the value's purpose (`SealPurpose`), so
 *   no two purposes share a key and the master key itself never encrypts anything;
 * - the GCM additional data is the prefix plus the value's owner and place (`SealContext`: purpose, tenant,
 *   endpoint, field), so a sealed value copied into another row, another field or another purpose does not
 *   open there, and relabelling its version fails too.
 *
 * Values sealed before contexts existed (`v<version>:`, no `c`) were sealed with the raw master key and only
 * the prefix as additional data. They still open (the prefix says which rule applies, so a `c` value is never
 * tried the legacy way), `needsReseal` reports them and `reseal` moves them to the current form.
 */
export interface SecretBoxKey {
  version: number;
  key: Buffer;
}

/** What a sealed value is for; each purpose has its own subkey. */
export type SealPurpose =
  'endpoint-secret' | 'endpoint-oauth' | 'endpoint-headers' | 'endpoint-url-credentials';

/** Where a sealed value belongs: it opens only under the same context it was sealed with. */
export interface SealContext {
  purpose: SealPurpose;
  tenantId: string;
  endpointId: string;
  /** Which value of the row (several of one purpose may live in one row, as OAuth's two secrets). */
  field: string;
}

/** The contexts in use, so callers name an owner and never spell a purpose or field themselves. */
export const SealContext = {
  /** An endpoint's signing secret, current or rotated out (both live in the same row, under one context). */
  endpointSecret: (tenantId: string, endpointId: string): SealContext => ({
    purpose: 'endpoint-secret',
    tenantId,
    endpointId,
    field: 'secret',
  }),
  endpointOauth: (
    tenantId: string,
    endpointId: string,
    field: 'clientSecret' | 'refreshToken' | 'accessToken',
  ): SealContext => ({ purpose: 'endpoint-oauth', tenantId, endpointId, field }),
  /** An endpoint's custom headers, sealed as one JSON object. */
  endpointHeaders: (tenantId: string, endpointId: string): SealContext => ({
    purpose: 'endpoint-headers',
    tenantId,
    endpointId,
    field: 'headers',
  }),
  /** The user info split off an endpoint's URL (url-credentials.ts), sealed as one JSON object. */
  endpointUrlCredentials: (tenantId: string, endpointId: string): SealContext => ({
    purpose: 'endpoint-url-credentials',
    tenantId,
    endpointId,
    field: 'urlCredentials',
  }),
} as const;

export type SecretBoxErrorCode = 'unknown_key_version' | 'malformed' | 'tampered';

/** Never carries the sealed value or the plaintext: these errors get logged. */
export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v([1-9]\d{0,8})(c?):([A-Za-z0-9+/]*={0,2})$/;
const PURPOSES: readonly SealPurpose[] = [
  'endpoint-secret',
  'endpoint-oauth',
  'endpoint-headers',
  'endpoint-url-credentials',
];

/** HKDF-SHA256 of a master key for one use, named by `label`: a subkey that reveals nothing of the others. */
export function deriveSubkey(masterKey: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), label, KEY_BYTES));
}

interface VersionKeys {
  /** Opens legacy (`v<n>:`) values only; never seals. */
  master: Buffer;
  subkeys: ReadonlyMap<SealPurpose, Buffer>;
}

export class SecretBox {
  private readonly keys: ReadonlyMap<number, VersionKeys>;
  private readonly currentVersionNumber: number;

  /** `keys[0]` seals; every key opens. Keep retired keys here until nothing sealed with them is left. */
  constructor(keys: readonly SecretBoxKey[]) {
    if (keys.length === 0) throw new TypeError('SecretBox needs at least one key.');
    const byVersion = new Map<number, VersionKeys>();
    for (const { version, key } of keys) {
      if (!Number.isSafeInteger(version) || version < 1 || version > 999_999_999) {
        throw new TypeError(`SecretBox key version must be an integer from 1 to 999999999 (got ${version}).`);
      }
      if (key.length !== KEY_BYTES) {
        throw new TypeError(`SecretBox key v${version} must be ${KEY_BYTES} bytes (got ${key.length}).`);
      }
      if (byVersion.has(version)) throw new TypeError(`SecretBox key version ${version} is listed twice.`);
      const master = Buffer.from(key);
      const subkeys = new Map(PURPOSES.map((p) => [p, deriveSubkey(master, `hookrelay/secret-box/${p}/v1`)]));
      byVersion.set(version, { master, subkeys });
    }
    this.keys = byVersion;
    this.currentVersionNumber = keys[0]!.version;
  }

  get currentVersion(): number {
    return this.currentVersionNumber;
  }

  seal(plaintext: string, context: SealContext): string {
    const version = this.currentVersionNumber;
    const prefix = `v${version}c:`;
    const iv = randomBytes(IV_BYTES);
    const key = this.keys.get(version)!.subkeys.get(context.purpose);
    if (!key) throw new TypeError(`SecretBox has no purpose ${String(context.purpose)}.`);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(prefix, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  open(sealed: string, context: SealContext): string {
    const match = SEALED.exec(sealed);
    if (!match) throw new SecretBoxError('malformed', 'Sealed value is not "v<version>c:<base64>".');
    const version = Number(match[1]);
    const bound = match[2] === 'c';
    const keys = this.keys.get(version);
    if (!keys) {
      throw new SecretBoxError(
        'unknown_key_version',
        `Sealed ${context.purpose} of endpoint ${context.endpointId} uses key version ${version}, which is not configured (known: ${[...this.keys.keys()].join(', ')}); add it to ENCRYPTION_KEY_PREVIOUS.`,
      );
    }
    const raw = Buffer.from(match[3]!, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new SecretBoxError('malformed', 'Sealed value is too short to hold an IV and a tag.');
    }
    const prefix = `v${version}${bound ? 'c' : ''}:`;
    const key = bound ? keys.subkeys.get(context.purpose) : keys.master;
    if (!key) throw new TypeError(`SecretBox has no purpose ${String(context.purpose)}.`);
    const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(bound ? additionalData(prefix, context) : Buffer.from(prefix, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretBoxError(
        'tampered',
        `Sealed ${context.purpose} of endpoint ${context.endpointId} (key version ${version}) failed authentication: it was altered, or it was sealed for another tenant, endpoint or field.`,
      );
    }
  }

  /** True when the value was sealed with an older key or without a context: `reseal` moves it. */
  needsReseal(sealed: string): boolean {
    const match = SEALED.exec(sealed);
    return match !== null && (Number(match[1]) !== this.currentVersionNumber || match[2] !== 'c');
  }

  /** The value sealed with the current key under its context; the same string when it already is. */
  reseal(sealed: string, context: SealContext): string {
    return this.needsReseal(sealed) ? this.seal(this.open(sealed, context), context) : sealed;
  }

  /** The prefix every value sealed now starts with (what the re-seal job looks for in SQL). */
  get currentPrefix(): string {
    return `v${this.currentVersionNumber}c:`;
  }
}

/** The prefix, then the context as a JSON array: unambiguous whatever the ids contain. */
function additionalData(prefix: string, context: SealContext): Buffer {
  return Buffer.from(
    prefix + JSON.stringify([context.purpose, context.tenantId, context.endpointId, context.field]),
    'utf8',
  );
}
