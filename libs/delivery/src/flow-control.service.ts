import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { EndpointRepository } from '@app/db';
import {
  ENDPOINT_CAP_REFERENCE_HOLD_MS,
  HANG_AFTER_MS,
  HOLD_AVERAGE_WEIGHT,
  HOLD_ESTIMATE_MIN_MS,
  throttleSpacing,
} from '@app/domain';
import { createRedis, JobProducer, type RedisClient } from '@app/queue';
import { ADMIT_LUA, RELEASE_LUA } from './flow-control.lua';

/** How long flow-control state (hold averages, throttle TATs, lines) outlives its last use. */
const STATE_IDLE_MS = 60 * 60_000;

/** Whose attempt asks to start. */
export interface FlowRequest {
  tenantId: string;
  applicationId: string;
  endpointId: string;
  /** Unique per run of a job (job id and run number): the lease's name. */
  attemptKey: string;
  /** The queue job asking: what a release wakes if the job waits in a cap's line. */
  jobId: string;
  /** The job ran before (it was deferred): it kept its place in a throttle's line. */
  returning: boolean;
}

export type DeferralReason =
  'endpoint_in_flight' | 'tenant_in_flight' | 'endpoint_throttle' | 'application_throttle';

/** The slots an admitted attempt holds until `release`. */
export interface FlowLease {
  readonly id: string;
  readonly keys: readonly string[];
}

export type Admission =
  { admitted: true; lease: FlowLease } | { admitted: false; delayMs: number; reason: DeferralReason };

interface FlowCommands {
  flowAdmit(...args: (string | number)[]): Promise<[number, number, string]>;
  flowRelease(...args: (string | number)[]): Promise<[number, ...string[]]>;
}

/**
 * Fairness and throttling for delivery attempts, shared by every worker process through Redis: at most
 * ENDPOINT_MAX_IN_FLIGHT attempts per endpoint and TENANT_MAX_IN_FLIGHT per tenant at once (leases that
 * expire with DELIVERY_LEASE if a worker dies), and `throttleRate` per endpoint and application. One script
 * call admits an attempt (or says how long to defer it), one releases it. The keys live under the queue
 * prefix, whose hash tag puts them in the queue's Redis Cluster slot.
 *
 * Its connection is the worker's kind: it waits for Redis (offline queue on, no retry limit), since the job
 * asking came from that Redis; a fault still surfaces as an exception, which BullMQ retries.
 */
@Injectable()
export class FlowControlService implements OnApplicationShutdown {
  private readonly logger = new Logger(FlowControlService.name);
  private readonly redis: RedisClient & FlowCommands;
  private readonly prefix: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly endpoints: EndpointRepository,
    private readonly jobs: JobProducer,
  ) {
    this.prefix = `${config.redis.prefix}:flow`;
    // Every attempt admits and releases: commands issued in the same event-loop turn share one write and one
    // round trip (ioredis auto-pipelining), instead of a socket write each.
    this.redis = createRedis(config.redis, { enableAutoPipelining: true }) as RedisClient & FlowCommands;
    this.redis.defineCommand('flowAdmit', { numberOfKeys: 7, lua: ADMIT_LUA });
    this.redis.defineCommand('flowRelease', { numberOfKeys: 6, lua: RELEASE_LUA });
    // ioredis reconnects by itself; commands wait meanwhile. Log, do not crash on an unhandled 'error'.
    this.redis.on('error', (error: Error) => this.logger.warn({ err: error }, 'flow-control Redis error'));
  }

  async admit(request: FlowRequest): Promise<Admission> {
    const { tenantId, applicationId, endpointId } = request;
    const rates = await this.endpoints.findThrottleRates(tenantId, applicationId, endpointId);
    const endpointRate = throttleSpacing(rates.endpoint);
    const applicationRate = throttleSpacing(rates.application);
    const keys = this.keys(request);
    const [admitted, delayMs, reason] = await this.redis.flowAdmit(
      keys.endpointLeases,
      keys.tenantLeases,
      keys.endpointState,
      keys.tenantState,
      keys.applicationState,
      keys.endpointWaiting,
      keys.tenantWaiting,
      request.attemptKey,
      this.config.delivery.leaseMs,
      this.config.flow.endpointMaxInFlight,
      this.config.flow.tenantMaxInFlight,
      endpointRate.intervalMs,
      endpointRate.toleranceMs,
      applicationRate.intervalMs,
      applicationRate.toleranceMs,
      request.returning ? 1 : 0,
      this.config.delivery.timeoutMs,
      HOLD_ESTIMATE_MIN_MS,
      STATE_IDLE_MS,
      this.clock(),
      ENDPOINT_CAP_REFERENCE_HOLD_MS,
      endpointRate.catchUpMs,
      applicationRate.catchUpMs,
      HANG_AFTER_MS,
      request.jobId,
    );
    if (admitted === 1) {
      return {
        admitted: true,
        lease: {
          id: request.attemptKey,
          keys: [
            keys.endpointLeases,
            keys.tenantLeases,
            keys.endpointState,
            keys.tenantState,
            keys.endpointWaiting,
            keys.tenantWaiting,
          ],
        },
      };
    }
    return { admitted: false, delayMs, reason: reason as DeferralReason };
  }

  /**
   * Frees the lease's slots and wakes the jobs waiting in the caps' lines for them. `responseMs` is how long
   * the receiver took to answer, when the attempt went out to it (whatever it answered), null otherwise: the
   * receiver's times, not ours around them, size an endpoint's cap; how long the slot was held (the script
   * knows from the lease) spaces out deferrals. Returns the ids of the jobs it woke.
   */
  async release(lease: FlowLease, responseMs: number | null): Promise<string[]> {
    const [, ...woken] = await this.redis.flowRelease(
      ...lease.keys,
      lease.id,
      this.config.delivery.leaseMs,
      responseMs ?? -1,
      HOLD_AVERAGE_WEIGHT,
      STATE_IDLE_MS,
      this.clock(),
      this.config.flow.endpointMaxInFlight,
      this.config.flow.tenantMaxInFlight,
    );
    if (woken.length > 0) await this.jobs.promote(woken);
    return woken;
  }

  async onApplicationShutdown(): Promise<void> {
    // Called after the workers closed (beforeApplicationShutdown), so no release is still waiting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /** The Redis clock (''), unless a test fixes it. */
  protected clock(): string {
    return '';
  }

  private keys({ tenantId, applicationId, endpointId }: FlowRequest) {
    return {
      endpointLeases: `${this.prefix}:ep:${endpointId}:leases`,
      tenantLeases: `${this.prefix}:tenant:${tenantId}:leases`,
      endpointState: `${this.prefix}:ep:${endpointId}`,
      tenantState: `${this.prefix}:tenant:${tenantId}`,
      applicationState: `${this.prefix}:app:${applicationId}`,
      endpointWaiting: `${this.prefix}:ep:${endpointId}:waiting`,
      tenantWaiting: `${this.prefix}:tenant:${tenantId}:waiting`,
    };
  }
}
