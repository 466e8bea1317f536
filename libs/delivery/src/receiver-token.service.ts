import { Injectable, Logger } from '@nestjs/common';
import { DeliveryOauth, EndpointOauthRepository } from '@app/db';
import { parseTokenResponse, tokenRequest, tokenReusableUntil } from '@app/domain';
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

/**
 * Bearer tokens for endpoints that use OAuth2 toward their receiver. The token request goes through the
 * `WebhookSender`, so it gets the same SSRF guard, deadline and body bound as a webhook. Tokens are cached in
 * this process's memory per endpoint until shortly before they expire (`tokenReusableUntil`); a changed
 * configuration (another fingerprint) is never served an old token. Concurrent attempts for one endpoint
 * share one token request. Each worker process fetches its own token: no token is ever written anywhere.
 */
@Injectable()
export class ReceiverTokenService {
  private readonly logger = new Logger(ReceiverTokenService.name);
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<BearerResult>>();

  constructor(
    private readonly oauth: EndpointOauthRepository,
    private readonly sender: WebhookSender,
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
    if (fresh) this.tokens.delete(endpoint.id);
    const pending = this.inFlight.get(endpoint.id);
    if (pending) return pending;
    const fetching = this.fetch(endpoint, config).finally(() => this.inFlight.delete(endpoint.id));
    this.inFlight.set(endpoint.id, fetching);
    return fetching;
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
    this.tokens.set(endpoint.id, {
      fingerprint: config.fingerprint,
      authorization,
      until: tokenReusableUntil(Date.now(), parsed.expiresInSeconds),
    });
    return { kind: 'token', authorization };
  }
}
