import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PortalAccessRepository } from '@app/db';
import {
  DomainError,
  newId,
  PORTAL_CAPABILITIES,
  PortalCapability,
  portalTokenKey,
  revocationOf,
} from '@app/domain';

/** The one algorithm portal tokens are signed with; verification accepts nothing else. */
const ALGORITHM = 'HS256';
export const PORTAL_TOKEN_ISSUER = 'hookrelay';
export const PORTAL_TOKEN_AUDIENCE = 'hookrelay:app-portal';

/** What a verified portal token grants: one application of one tenant, with these capabilities. */
export interface PortalSession {
  tenantId: string;
  applicationId: string;
  capabilities: PortalCapability[];
  featureFlags: string[];
  sessionId: string | null;
  tokenId: string;
  expiresAt: Date;
}

export interface PortalTokenRequest {
  tenantId: string;
  applicationId: string;
  capabilities: PortalCapability[];
  featureFlags: string[];
  sessionId: string | null;
  expirySeconds: number;
}

/** The claims Hookrelay writes besides the registered ones (iss, aud, sub, jti, iat, exp). */
interface PortalClaims {
  tenant: string;
  app: string;
  capabilities: string[];
  featureFlags?: string[];
  sid?: string;
}

const invalid = (detail: string) => new DomainError(401, 'token_invalid', detail);

/**
 * Consumer-portal tokens: JWTs (HS256, jose) with a key derived from ENCRYPTION_KEY for this purpose only.
 * They carry their application, tenant, capabilities, feature flags, session id and token id, so checking one
 * needs no database row of its own; revocations (expire-all, logout) and a deleted application or tenant are
 * checked against PostgreSQL through a cache on every request.
 */
@Injectable()
export class PortalTokenService {
  private readonly key: Uint8Array;
  /** The current key first, then those of ENCRYPTION_KEY_PREVIOUS: tokens issued before a rotation still verify. */
  private readonly verificationKeys: Uint8Array[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly access: PortalAccessRepository,
  ) {
    this.verificationKeys = config.encryptionKeys.map(({ key }) => new Uint8Array(portalTokenKey(key)));
    this.key = this.verificationKeys[0]!;
  }

  /** A token shape check that needs no key: three base64url parts, the JWS compact form. */
  static looksLikeToken(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  async issue(request: PortalTokenRequest): Promise<{ token: string; tokenId: string; expiresAt: Date }> {
    const tokenId = newId('portalToken');
    const now = Math.floor(Date.now() / 1000);
    const exp = now + request.expirySeconds;
    const claims: PortalClaims = {
      tenant: request.tenantId,
      app: request.applicationId,
      capabilities: request.capabilities,
      ...(request.featureFlags.length > 0 ? { featureFlags: request.featureFlags } : {}),
      ...(request.sessionId !== null ? { sid: request.sessionId } : {}),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(PORTAL_TOKEN_ISSUER)
      .setAudience(PORTAL_TOKEN_AUDIENCE)
      .setSubject(request.applicationId)
      .setJti(tokenId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, tokenId, expiresAt: new Date(exp * 1000) };
  }

  /**
   * The session a token grants, or a 401 saying why not: expired, not ours (tampered, another key, another
   * algorithm, another issuer or audience), malformed, revoked, or its application or tenant deleted.
   */
  async verify(token: string): Promise<PortalSession> {
    const session = toSession(await this.verifiedPayload(token));
    const state = await this.access.state(session.tenantId, session.applicationId);
    if (!state.live) {
      throw new DomainError(401, 'token_revoked', 'The application of this portal token no longer exists.');
    }
    if (revocationOf(session, state.revocations, new Date())) {
      throw new DomainError(401, 'token_revoked', 'This portal token has been revoked; ask for a new link.');
    }
    return session;
  }

  /** The claims of a token signed with the current key or a previous one; a 401 saying why not otherwise. */
  private async verifiedPayload(token: string): Promise<Record<string, unknown>> {
    for (const [index, key] of this.verificationKeys.entries()) {
      try {
        return (
          await jwtVerify(token, key, {
            algorithms: [ALGORITHM],
            issuer: PORTAL_TOKEN_ISSUER,
            audience: PORTAL_TOKEN_AUDIENCE,
            requiredClaims: ['exp', 'iat', 'jti', 'sub'],
          })
        ).payload;
      } catch (error) {
        const another = index < this.verificationKeys.length - 1;
        if (!(another && error instanceof errors.JWSSignatureVerificationFailed))
          throw verificationError(error);
      }
    }
    throw verificationError(new errors.JWSSignatureVerificationFailed());
  }
}

function verificationError(error: unknown): DomainError {
  if (error instanceof errors.JWTExpired) {
    return new DomainError(401, 'token_expired', 'This portal token has expired; ask for a new link.');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return invalid('This token is not a portal token (wrong audience).');
    if (error.claim === 'iss') return invalid('This token was not issued by Hookrelay (wrong issuer).');
    if (error.claim === 'nbf') return invalid('This token is not valid yet.');
    return invalid(`The portal token is missing or has a bad "${error.claim}" claim.`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid('The portal token was altered or signed with another key.');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalid('The portal token is signed with an algorithm Hookrelay does not accept.');
  }
  if (error instanceof errors.JOSEError) return invalid('The portal token is malformed.');
  throw error;
}

function toSession(payload: Record<string, unknown>): PortalSession {
  const { tenant, app, sub, capabilities, featureFlags, sid, jti, exp } = payload;
  const strings = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'string');
  const known = new Set<string>(PORTAL_CAPABILITIES);
  if (
    typeof tenant !== 'string' ||
    typeof app !== 'string' ||
    app !== sub ||
    typeof jti !== 'string' ||
    typeof exp !== 'number' ||
    !strings(capabilities) ||
    !capabilities.every((c) => known.has(c)) ||
    (featureFlags !== undefined && !strings(featureFlags)) ||
    (sid !== undefined && typeof sid !== 'string')
  ) {
    throw invalid('The portal token does not carry the claims Hookrelay writes.');
  }
  return {
    tenantId: tenant,
    applicationId: app,
    capabilities: capabilities as PortalCapability[],
    featureFlags: featureFlags ?? [],
    sessionId: sid ?? null,
    tokenId: jti,
    expiresAt: new Date(exp * 1000),
  };
}
