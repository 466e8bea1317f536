import { Injectable } from '@nestjs/common';
import { idTime } from '@app/domain';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptReport } from './delivery-attempt.service';
import type { DeferralReason } from './flow-control.service';

/** Seconds; from a fast loopback receiver to the retry schedule's longest waits (hours). */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const END_TO_END_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400];

/**
 * The Prometheus figures of one process (API or worker), on its own registry so that two apps in one
 * process (the tests) keep their own counts. Only counters and histograms move on the hot path: an
 * increment is a few nanoseconds and never I/O. What needs I/O (queue depth) is read on scrape, by the app
 * that serves /metrics. Labels are bounded sets (outcomes, reasons, route templates), never ids.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly messagesAccepted = new Counter({
    name: 'hookrelay_messages_accepted_total',
    help: 'Messages committed by the API (duplicates of an eventId excluded).',
    registers: [this.registry],
  });

  readonly deliveriesCreated = new Counter({
    name: 'hookrelay_deliveries_created_total',
    help: 'Deliveries (message x endpoint) created at accept.',
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'hookrelay_delivery_attempts_total',
    help:
      'Delivery attempt jobs by outcome: success, retry (failed, another attempt scheduled), fail (dead letter), ' +
      'canceled, parked (endpoint disabled), skipped (stale job).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'hookrelay_delivery_attempt_duration_seconds',
    help: 'Time from sending an attempt to its response (or the error), by result: success or failure.',
    labelNames: ['result'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'hookrelay_delivery_latency_seconds',
    help: 'Time from accepting a message to the receiver acknowledging it (2xx), retries included.',
    buckets: END_TO_END_BUCKETS,
    registers: [this.registry],
  });

  readonly ssrfBlocked = new Counter({
    name: 'hookrelay_ssrf_blocked_total',
    help: 'Attempts refused because the endpoint resolved to a forbidden address.',
    registers: [this.registry],
  });

  readonly endpointsDisabled = new Counter({
    name: 'hookrelay_endpoints_disabled_total',
    help: 'Endpoints disabled automatically after failing for ENDPOINT_DISABLE_AFTER.',
    registers: [this.registry],
  });

  readonly reconcilerRequeued = new Counter({
    name: 'hookrelay_reconciler_requeued_total',
    help: 'Deliveries the reconciler put back on the queue (a lost job, a failed enqueue, an expired lease).',
    registers: [this.registry],
  });

  readonly flowDeferrals = new Counter({
    name: 'hookrelay_flow_control_deferrals_total',
    help: 'Attempt jobs put back as delayed jobs by flow control, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly retentionDeleted = new Counter({
    name: 'hookrelay_retention_deleted_total',
    help: 'Rows deleted by retention, by table: messages (with their payloads), deliveries, attempts.',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly sealedRowsResealed = new Counter({
    name: 'hookrelay_sealed_rows_resealed_total',
    help: 'Endpoint rows whose sealed values the re-seal job moved to the current key and bound form.',
    registers: [this.registry],
  });

  readonly sealedRowsPending = new Gauge({
    name: 'hookrelay_sealed_rows_pending_reseal',
    help: 'Endpoint rows still holding a value sealed with an older key or unbound (after the last re-seal pass); 0 before ENCRYPTION_KEY_PREVIOUS can go.',
    registers: [this.registry],
  });

  readonly apiKeysOnOlderKeys = new Gauge({
    name: 'hookrelay_api_keys_on_older_key',
    help: 'Live API keys still hashed under a previous ENCRYPTION_KEY (re-hashed on their next use); they stop working when it is removed.',
    registers: [this.registry],
  });

  constructor() {
    // Process CPU, memory, event-loop delay, GC: read from the runtime on scrape.
    collectDefaultMetrics({ register: this.registry, prefix: 'hookrelay_' });
  }

  /** One attempt job ended (the one call on the worker's hot path, after the attempt is recorded). */
  attemptEnded({ result, responseMs, sent }: AttemptReport): void {
    this.attempts.inc({ outcome: result });
    if (responseMs !== null) {
      this.attemptDuration.observe(
        { result: result === 'success' ? 'success' : 'failure' },
        responseMs / 1000,
      );
    }
    if (!sent) return;
    if (sent.errorKind === 'blocked_address') this.ssrfBlocked.inc();
    if (sent.endpointDisabled) this.endpointsDisabled.inc();
    // Accept to receipt, for scheduled attempts only: a manual resend of an old message is not latency.
    if (result === 'success' && sent.trigger === 'scheduled') {
      this.deliveryLatency.observe(Math.max(0, Date.now() - idTimeOrNow(sent.messageId)) / 1000);
    }
  }

  deferred(reason: DeferralReason): void {
    this.flowDeferrals.inc({ reason });
  }

  /** The text Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function idTimeOrNow(id: string): number {
  try {
    return idTime(id);
  } catch {
    return Date.now();
  }
}
