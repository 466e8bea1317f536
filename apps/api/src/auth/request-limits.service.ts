import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { TenantRepository } from '@app/db';
import { DomainError } from '@app/domain';
import { RateDecision, RateLimiter } from '@app/queue';

/**
 * How long a source address far from its failed-authentication limit is trusted without asking Redis. Every
 * authenticated request checked that limit in Redis first: one script call per request, 20 % of Redis's CPU
 * and 5 % fewer accepted messages per second in the ingest bench. A failure from the source ends the trust
 * at once on this instance; failures counted by other instances are seen within this time.
 */
export const TRUSTED_SOURCE_MS = 1_000;

/**
 * The API's request limits (RateLimiter, in Redis, shared by every instance): each tenant's requests per
 * second (the operator's per-tenant setting, else RATE_LIMIT_PER_SECOND), and failed authentications per
 * source address (AUTH_FAILURES_PER_MINUTE), which once spent refuse that address before its token is even
 * looked at, and requests per source address to the public routes that read the database
 * (PUBLIC_RATE_LIMIT_PER_SECOND). Answers over a limit are 429 with Retry-After; tenant requests and limited
 * public ones carry RateLimit-* headers.
 */
@Injectable()
export class RequestLimits {
  /** Sources recently far from their failed-authentication limit (bounded: the oldest are forgotten). */
  private readonly trustedSources = new LRUCache<string, true>({ max: 10_000, ttl: TRUSTED_SOURCE_MS });

  constructor(
    private readonly limiter: RateLimiter,
    private readonly tenants: TenantRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async admitTenant(tenantId: string, reply: FastifyReply): Promise<void> {
    const { perSecond: serverRate, burst: serverBurst } = this.config.rateLimits;
    const own = (await this.tenants.settings(tenantId)).rateLimitPerSecond;
    const perSecond = own ?? serverRate;
    if (perSecond <= 0) return;
    // A tenant's own rate keeps the server's ratio of burst to rate (2 s of requests by default).
    const burst =
      own === null
        ? serverBurst
        : Math.max(1, Math.round(own * (serverRate > 0 ? serverBurst / serverRate : 2)));
    const decision = await this.limiter.take(`tenant:${tenantId}`, { perSecond, burst });
    setRateLimitHeaders(reply, decision);
    if (!decision.admitted) {
      throw new DomainError(
        429,
        'rate_limited',
        `This tenant sent more than ${perSecond} requests per second; retry in ${decision.retryAfterS} s.`,
      );
    }
  }

  /**
   * Counts a request to an unauthenticated route (`@LimitedPerSource()`) against its source address:
   * `PUBLIC_RATE_LIMIT_PER_SECOND`, with a burst of two seconds' worth.
   */
  async admitSource(source: string, reply: FastifyReply): Promise<void> {
    const perSecond = this.config.rateLimits.publicPerSecond;
    if (perSecond <= 0) return;
    const decision = await this.limiter.take(`public:${source}`, {
      perSecond,
      burst: Math.max(1, Math.round(perSecond * 2)),
    });
    setRateLimitHeaders(reply, decision);
    if (!decision.admitted) {
      throw new DomainError(
        429,
        'rate_limited',
        `This address sent more than ${perSecond} unauthenticated requests per second; retry in ${decision.retryAfterS} s.`,
      );
    }
  }

  /** Refuses a source address whose failed authentications used up its allowance. */
  async assertSourceAllowed(source: string, reply: FastifyReply): Promise<void> {
    const limit = this.authFailureLimit();
    if (!limit || this.trustedSources.has(source)) return;
    const decision = await this.limiter.peek(`auth-failures:${source}`, limit);
    if (decision.admitted) {
      // Less than half its allowance spent: trusted for a moment (see TRUSTED_SOURCE_MS).
      if (decision.counted && decision.remaining * 2 >= limit.burst) this.trustedSources.set(source, true);
      return;
    }
    void reply.header('retry-after', String(decision.retryAfterS));
    throw new DomainError(
      429,
      'too_many_failed_authentications',
      `Too many requests with invalid credentials came from this address; retry in ${decision.retryAfterS} s.`,
    );
  }

  async recordAuthFailure(source: string): Promise<void> {
    this.trustedSources.delete(source);
    const limit = this.authFailureLimit();
    if (limit) await this.limiter.take(`auth-failures:${source}`, limit);
  }

  private authFailureLimit() {
    const perMinute = this.config.rateLimits.authFailuresPerMinute;
    return perMinute > 0 ? { perSecond: perMinute / 60, burst: perMinute } : undefined;
  }
}

/** The IETF draft's RateLimit-* fields (limit, remaining, seconds to reset), and Retry-After when refused. */
function setRateLimitHeaders(reply: FastifyReply, decision: RateDecision): void {
  if (!decision.counted) return;
  void reply.header('ratelimit-limit', String(decision.limit));
  void reply.header('ratelimit-remaining', String(decision.remaining));
  void reply.header('ratelimit-reset', String(decision.resetS));
  if (!decision.admitted) void reply.header('retry-after', String(decision.retryAfterS));
}
