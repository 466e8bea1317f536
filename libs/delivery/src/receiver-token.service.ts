import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { AppSecretBox, DeliveryOauth, EndpointOauthRepository } from '@app/db';
import { parseTokenResponse, SealContext, tokenRequest, tokenReusableUntil } from '@app/domain';
import { SharedCache } from '@app/queue';
import { HOOKRELAY_VERSION } from './version';
import { WebhookSender } from './webhook-sender';

/** Token answers carry JWTs that can be several KiB; still bounded. */
const TOKEN_RESPONSE_LIMIT = 64 * 1024;

export type BearerResult =
  | { kind: 'token'; authorization: string }
  /** No usable token: `reason` goes in the attempt row (never a secret). */
  | { kind: 'failed'; reason: string; durationMs: number };

interface CachedToken {
  fingerprint: string;
  authorization: string;
  until: number;
}

/** How long a process may hold the claim to fetch an endpoint's token for all; the others wait that long. */
const FETCH_CLAIM_MS = 10_000;
/** How often a process waiting for another's token looks for it. */
const WAIT_STEP_MS = 50;

/**
 * Bearer tokens for endpoints that use OAuth2 toward their receiver. The token request goes through the
 * `WebhookSender`, so it gets the same SSRF guard, deadline and body bound as a webhook. A token is reused
 * until shortly before it expires (`tokenReusableUntil`), and a changed configuration (another fingerprint)
 * is never served an old token.
 *
 * One token per endpoint for all worker processes (docs/receivers.md#oauth2-toward-receivers): a token is
 * kept in this process's memory and, sealed with ENCRYPTION_KEY (a bearer token is a credential, and Redis is
 * not where secrets rest in clear), in Redis (`SharedCache`) until it is no longer reusable. A process
 * without it in memory takes it from Redis; if Redis has none, one process claims the fetch and the others
 * wait for its token (at most `FETCH_CLAIM_MS`, then fetch themselves). Concurrent attempts in one process
 * share one token request. Without Redis each process fetches its own, as if alone.
 */
@Injectable()
export class ReceiverTokenService {
  private readonly logger = new Logger(ReceiverTokenService.name);
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<BearerResult>>();

  constructor(
    private readonly oauth: EndpointOauthRepository,
    private readonly sender: WebhookSender,
    private readonly shared: SharedCache,
    private readonly box: AppSecretBox,
  ) {}

  /** The configuration for an endpoint (cached read), or null. */
  config(tenantId: string, applicationId: string, endpointId: string): Promise<DeliveryOauth | null> {
    return this.oauth.findForDelivery(tenantId, applicationId, endpointId);
  }

  /** `Authorization` for the next attempt; `fresh` skips the cache (the receiver just answered 401). */
  async bearer(
    endpoint: { tenantId: string; applicationId: string; id: string },
    config: DeliveryOauth,
    fresh = false,
  ): Promise<BearerResult> {
    const cached = this.tokens.get(endpoint.id);
    if (!fresh && cached && cached.fingerprint === config.fingerprint && cached.until > Date.now()) {
      return { kind: 'token', authorization: cached.authorization };
    }
    // After a 401 the token in hand is the one refused: neither memory nor Redis may serve it again.
    const refused = fresh ? cached?.authorization : undefined;
    if (fresh) this.tokens.delete(endpoint.id);
    const pending = this.inFlight.get(endpoint.id);
    if (pending) return pending;
    const fetching = this.obtain(endpoint, config, refused).finally(() => this.inFlight.delete(endpoint.id));
    this.inFlight.set(endpoint.id, fetching);
    return fetching;
  }

  /** The shared token if there is a usable one; else this process's fetch, or the one another process claimed. */
  private async obtain(
    endpoint: { tenantId: string; applicationId: string; id: string },
    config: DeliveryOauth,
    refused: string | undefined,
  ): Promise<BearerResult> {
    const shared = await this.readShared(endpoint, config.fingerprint, refused);
    if (shared) return shared;
    const claim = `oauth-token-fetch:${endpoint.id}`;
    if (await this.shared.claim(claim, FETCH_CLAIM_MS)) {
      try {
        return await this.fetch(endpoint, config);
      } finally {
        await this.shared.release(claim);
      }
    }
    // Another process is fetching it: wait for its token while its claim holds, then fetch if none came.
    const deadline = Date.now() + FETCH_CLAIM_MS;
    while (Date.now() < deadline) {
      await sleep(WAIT_STEP_MS);
      // Claim first, token second: a claim gone before the read means its token (if any) is there to read.
      const holding = await this.shared.claimed(claim);
      const theirs = await this.readShared(endpoint, config.fingerprint, refused);
      if (theirs) return theirs;
      if (!holding) break;
    }
    return this.fetch(endpoint, config);
  }

  /** The token in Redis, when it is for this configuration, still reusable, and not the one just refused. */
  private async readShared(
    endpoint: { tenantId: string; id: string },
    fingerprint: string,
    refused: string | undefined,
  ): Promise<BearerResult | null> {
    const endpointId = endpoint.id;
    const sealed = await this.shared.get(`oauth-token:${endpointId}`);
    if (sealed === null) return null;
    let token: CachedToken;
    try {
      token = JSON.parse(this.box.open(sealed, accessTokenContext(endpoint))) as CachedToken;
    } catch (error) {
      this.logger.warn({ endpointId, err: error }, 'unreadable shared OAuth2 token ignored');
      return null;
    }
    if (token.fingerprint !== fingerprint || token.until <= Date.now() || token.authorization === refused) {
      return null;
    }
    this.tokens.set(endpointId, token);
    return { kind: 'token', authorization: token.authorization };
  }

  private async fetch(
    endpoint: { tenantId: string; applicationId: string; id: string },
    config: DeliveryOauth,
  ): Promise<BearerResult> {
    const plain = config.open();
    const request = tokenRequest(plain);
    const res = await this.sender.send({
      url: plain.tokenUrl,
      headers: { 'user-agent': `Hookrelay/${HOOKRELAY_VERSION}`, ...request.headers },
      body: request.body,
      responseLimit: TOKEN_RESPONSE_LIMIT,
    });
    if (res.errorKind) {
      return {
        kind: 'failed',
        reason: `Could not reach the OAuth2 token server: ${res.body}`,
        durationMs: res.durationMs,
      };
    }
    const parsed = parseTokenResponse(res.statusCode, res.body);
    if (!parsed.ok) return { kind: 'failed', reason: parsed.reason, durationMs: res.durationMs };
    if (
      plain.grantType === 'refreshToken' &&
      parsed.refreshToken &&
      parsed.refreshToken !== plain.refreshToken
    ) {
      // A rotated refresh token: the old one may already be dead, so keep the new one before using the token.
      await this.oauth.replaceRefreshToken(
        endpoint.tenantId,
        endpoint.applicationId,
        endpoint.id,
        parsed.refreshToken,
      );
      this.logger.log({ endpointId: endpoint.id }, 'OAuth2 refresh token rotated by the token server');
    }
    const authorization = `Bearer ${parsed.accessToken}`;
    const token: CachedToken = {
      fingerprint: config.fingerprint,
      authorization,
      until: tokenReusableUntil(Date.now(), parsed.expiresInSeconds),
    };
    this.tokens.set(endpoint.id, token);
    const ttlMs = token.until - Date.now();
    if (ttlMs > 0) {
      await this.shared.set(
        `oauth-token:${endpoint.id}`,
        this.box.seal(JSON.stringify(token), accessTokenContext(endpoint)),
        ttlMs,
      );
    }
    return { kind: 'token', authorization };
  }
}

/** The access token shared in Redis is sealed like the endpoint's other OAuth2 secrets, bound to its endpoint. */
function accessTokenContext(endpoint: { tenantId: string; id: string }): SealContext {
  return SealContext.endpointOauth(endpoint.tenantId, endpoint.id, 'accessToken');
}
