/**
 * Signing secrets replaced by a rotation keep signing, next to the new one, until their grace period ends, so
 * receivers can switch keys without dropping a webhook (Svix `ExpiringSigningKeys`). Stored in
 * `endpoints.old_secrets` as `[{secret: <sealed>, expiresAt: <ISO>}]`, newest first.
 */
export interface OldSecret {
  /** Sealed with `AppSecretBox`; never the plain `whsec_` value. */
  secret: string;
  expiresAt: string;
}

export const DEFAULT_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;
export const MAX_SECRET_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
/** Bounds the signatures per request (each live key adds one) and the row size under repeated rotation. */
export const MAX_OLD_SECRETS = 10;

/** Reads the JSON column; entries of another shape cannot sign anything, so they are left out. */
export function parseOldSecrets(value: unknown): OldSecret[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (item): item is OldSecret =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as OldSecret).secret === 'string' &&
      typeof (item as OldSecret).expiresAt === 'string' &&
      !Number.isNaN(Date.parse((item as OldSecret).expiresAt)),
  );
}

export function unexpiredOldSecrets(oldSecrets: readonly OldSecret[], now: Date): OldSecret[] {
  return oldSecrets.filter((old) => Date.parse(old.expiresAt) > now.getTime());
}

/**
 * The old-secrets list after `retiring` (the sealed current secret) is replaced: it joins the front with its
 * grace period, expired entries go, and only the newest `MAX_OLD_SECRETS` stay. A zero grace period retires
 * the secret at once.
 */
export function retireSecret(
  oldSecrets: readonly OldSecret[],
  retiring: string,
  now: Date,
  graceMs: number = DEFAULT_SECRET_GRACE_MS,
): OldSecret[] {
  const kept = unexpiredOldSecrets(oldSecrets, now);
  const next =
    graceMs > 0
      ? [{ secret: retiring, expiresAt: new Date(now.getTime() + graceMs).toISOString() }, ...kept]
      : kept;
  return next.slice(0, MAX_OLD_SECRETS);
}
