import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for endpoint secrets (and anything else that must not sit in the database in clear).
 * AES-256-GCM with a random 96-bit IV; the sealed form is `v<version>:` + base64(iv | tag | ciphertext).
 *
 * The version names the key, so the master key can rotate: new values are sealed with the current key while
 * values sealed earlier still open with theirs (Svix's `main_secret` "can't be changed" — the lesson here).
 * The prefix is also authenticated (GCM additional data), so relabelling a value with another version fails.
 */
export interface SecretBoxKey {
  version: number;
  key: Buffer;
}

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
const SEALED = /^v([1-9]\d{0,8}):([A-Za-z0-9+/]*={0,2})$/;

export class SecretBox {
  private readonly keys: ReadonlyMap<number, Buffer>;
  private readonly current: SecretBoxKey;

  /** `keys[0]` seals; every key opens. Keep retired keys here until nothing sealed with them is left. */
  constructor(keys: readonly SecretBoxKey[]) {
    if (keys.length === 0) throw new TypeError('SecretBox needs at least one key.');
    const byVersion = new Map<number, Buffer>();
    for (const { version, key } of keys) {
      if (!Number.isSafeInteger(version) || version < 1 || version > 999_999_999) {
        throw new TypeError(`SecretBox key version must be an integer from 1 to 999999999 (got ${version}).`);
      }
      if (key.length !== KEY_BYTES) {
        throw new TypeError(`SecretBox key v${version} must be ${KEY_BYTES} bytes (got ${key.length}).`);
      }
      if (byVersion.has(version)) throw new TypeError(`SecretBox key version ${version} is listed twice.`);
      byVersion.set(version, Buffer.from(key));
    }
    this.keys = byVersion;
    this.current = { version: keys[0]!.version, key: byVersion.get(keys[0]!.version)! };
  }

  get currentVersion(): number {
    return this.current.version;
  }

  seal(plaintext: string): string {
    const prefix = `v${this.current.version}:`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(prefix, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  open(sealed: string): string {
    const match = SEALED.exec(sealed);
    if (!match) throw new SecretBoxError('malformed', 'Sealed value is not "v<version>:<base64>".');
    const version = Number(match[1]);
    const key = this.keys.get(version);
    if (!key) {
      throw new SecretBoxError(
        'unknown_key_version',
        `Sealed value uses key version ${version}, which is not configured (known: ${[...this.keys.keys()].join(', ')}).`,
      );
    }
    const raw = Buffer.from(match[2]!, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new SecretBoxError('malformed', 'Sealed value is too short to hold an IV and a tag.');
    }
    const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(`v${version}:`, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretBoxError('tampered', `Sealed value (key version ${version}) failed authentication.`);
    }
  }

  /** True when the value was sealed with an older key: a re-seal job can move it to the current one. */
  needsReseal(sealed: string): boolean {
    const match = SEALED.exec(sealed);
    return match !== null && Number(match[1]) !== this.current.version;
  }
}
