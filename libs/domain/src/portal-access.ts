import { decodeTime } from 'ulid';
import { isId } from './ids';
import { deriveSubkey } from './secret-box';

/**
 * Consumer-portal access: what a portal token may do, how long it lives, and when a revocation refuses it.
 * Pure rules; the API signs and checks the tokens (jose) and PostgreSQL keeps the revocations.
 */

/** Svix's AppPortalCapability values, in its order. */
export const PORTAL_CAPABILITIES = [
  'ViewBase',
  'ViewEndpointSecret',
  'ManageEndpointSecret',
  'ManageTransformations',
  'CreateAttempts',
  'ManageEndpoint',
] as const;

export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

/** What each capability lets a portal token do, for docs and for the portal's own explanations. */
export const PORTAL_CAPABILITY_MEANING: Record<PortalCapability, string> = {
  ViewBase: 'see the endpoints, the event-type catalog, messages, attempts and statistics',
  ViewEndpointSecret: "read an endpoint's signing secret",
  ManageEndpointSecret: "rotate an endpoint's signing secret (and read it)",
  ManageTransformations:
    'accepted for Svix compatibility; Hookrelay has no transformations, so it grants nothing',
  CreateAttempts: 'resend a message, recover failed deliveries, replay missing ones and send example events',
  ManageEndpoint:
    'create, edit, disable, enable and delete endpoints and their custom headers (and read and rotate secrets)',
};

/**
 * As Svix documents them, some capabilities include others: rotating a secret shows it, and managing an
 * endpoint covers "any field or configuration of an endpoint (including secrets)".
 */
const INCLUDED: Record<PortalCapability, readonly PortalCapability[]> = {
  ViewBase: [],
  ViewEndpointSecret: [],
  ManageEndpointSecret: ['ViewEndpointSecret'],
  ManageTransformations: [],
  CreateAttempts: [],
  ManageEndpoint: ['ManageEndpointSecret', 'ViewEndpointSecret'],
};

/** True when a token holding `granted` may do what `required` allows. */
export function hasCapability(granted: readonly PortalCapability[], required: PortalCapability): boolean {
  return granted.some((c) => c === required || INCLUDED[c].includes(required));
}

/** `readOnly: true` without a capability list (Svix's older switch). */
export const READ_ONLY_CAPABILITIES: readonly PortalCapability[] = ['ViewBase'];
/** What a read-only token may still be given explicitly: looking, never changing. */
const VIEW_CAPABILITIES = new Set<PortalCapability>(['ViewBase', 'ViewEndpointSecret']);

const HOUR_S = 60 * 60;
export const PORTAL_TOKEN_MIN_EXPIRY_S = HOUR_S;
export const PORTAL_TOKEN_MAX_EXPIRY_S = 7 * 24 * HOUR_S;
/** Svix's default: a portal link stays valid for 7 days. */
export const PORTAL_TOKEN_DEFAULT_EXPIRY_S = PORTAL_TOKEN_MAX_EXPIRY_S;
/** Svix allows 25 feature flags per token. */
export const PORTAL_MAX_FEATURE_FLAGS = 25;

/**
 * The capabilities a new token gets. An explicit list wins (deduplicated, in Svix's order); without one,
 * `readOnly` means view only and otherwise everything, as Svix grants. Both an explicit list that can change
 * something and `readOnly: true` is a contradiction the caller must resolve (undefined).
 */
export function grantedCapabilities(input: {
  capabilities?: readonly PortalCapability[] | null;
  readOnly?: boolean | null;
}): PortalCapability[] | undefined {
  if (input.capabilities) {
    const wanted = new Set(input.capabilities);
    const granted = PORTAL_CAPABILITIES.filter((c) => wanted.has(c));
    if (input.readOnly && granted.some((c) => !VIEW_CAPABILITIES.has(c))) return undefined;
    return granted;
  }
  return input.readOnly ? [...READ_ONLY_CAPABILITIES] : [...PORTAL_CAPABILITIES];
}

/**
 * The HS256 key that signs portal tokens, derived from ENCRYPTION_KEY for this purpose only (HKDF, its own
 * label), so an operator manages one secret and a portal token key can never open an endpoint secret.
 */
export function portalTokenKey(encryptionKey: Buffer): Buffer {
  return deriveSubkey(encryptionKey, 'hookrelay/portal-token/v1');
}

/**
 * A revocation: every token of the application issued before `issuedBefore`, or only those of one session,
 * or one token, is refused from `effectiveAt` on (expire-all may give tokens a grace period).
 */
export interface PortalRevocation {
  /** null: every token of the application. */
  sessionId: string | null;
  /** null: not about one token (logout revokes a single token). */
  tokenId: string | null;
  issuedBefore: Date;
  effectiveAt: Date;
}

export interface PortalTokenIdentity {
  tokenId: string;
  sessionId: string | null;
}

/**
 * When the token was issued, to the millisecond: its id is a ULID (`ptok_…`), whose first characters are the
 * issue time. JWT's `iat` has whole seconds only, too coarse to tell a token issued just before an expire-all
 * from one issued just after it.
 */
export function portalTokenIssuedAt(tokenId: string): number | undefined {
  if (!isId('portalToken', tokenId)) return undefined;
  try {
    return decodeTime(tokenId.slice(tokenId.indexOf('_') + 1));
  } catch {
    return undefined;
  }
}

/** The revocation that refuses this token now, if any. */
export function revocationOf(
  token: PortalTokenIdentity,
  revocations: readonly PortalRevocation[],
  now: Date,
): PortalRevocation | undefined {
  const issuedAt = portalTokenIssuedAt(token.tokenId);
  // A token whose issue time cannot be read is not ours to trust; treat it as revoked.
  if (issuedAt === undefined) return { sessionId: null, tokenId: null, issuedBefore: now, effectiveAt: now };
  return revocations.find(
    (r) =>
      r.effectiveAt.getTime() <= now.getTime() &&
      issuedAt < r.issuedBefore.getTime() &&
      (r.tokenId !== null
        ? r.tokenId === token.tokenId
        : r.sessionId === null || r.sessionId === token.sessionId),
  );
}
