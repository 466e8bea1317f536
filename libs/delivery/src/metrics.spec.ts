import { Metrics } from './metrics';
import type { AttemptReport, SentAttempt } from './delivery-attempt.service';

const sent = (over: Partial<SentAttempt> = {}): SentAttempt => ({
  messageId: 'msg_01M8NQ51N3NR76ZR3DY30M0NXT',
  endpointId: 'ep_1',
  attemptId: 'atmpt_1',
  attemptNumber: 1,
  statusCode: 204,
  errorKind: null,
  trigger: 'scheduled',
  endpointDisabled: false,
  ...over,
});

type Sample = { value: number; labels: Record<string, string>; metricName?: string };

async function samples(metrics: Metrics, name: string, labels: Record<string, string>): Promise<Sample[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as Sample[]).filter((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
}

/** A counter's value (summed over the other labels). */
async function value(metrics: Metrics, name: string, labels: Record<string, string> = {}) {
  return (await samples(metrics, name, labels)).reduce((sum, v) => sum + v.value, 0);
}

/** How many observations a histogram holds. */
async function count(metrics: Metrics, histogram: string, labels: Record<string, string> = {}) {
  return (await samples(metrics, histogram, labels))
    .filter((v) => v.metricName === `${histogram}_count`)
    .reduce((sum, v) => sum + v.value, 0);
}

describe('Metrics.attemptEnded', () => {
  it('counts outcomes, durations and the accept-to-receipt latency of scheduled successes', async () => {
    const metrics = new Metrics();
    const report = (r: AttemptReport) => metrics.attemptEnded(r);
    report({ result: 'success', responseMs: 20, sent: sent() });
    report({ result: 'success', responseMs: 20, sent: sent({ trigger: 'manual' }) });
    report({ result: 'retry', responseMs: 15, sent: sent({ statusCode: 503, errorKind: 'http_status' }) });
    report({ result: 'skipped', responseMs: null });

    expect(await value(metrics, 'hookrelay_delivery_attempts_total', { outcome: 'success' })).toBe(2);
    expect(await value(metrics, 'hookrelay_delivery_attempts_total', { outcome: 'retry' })).toBe(1);
    expect(await value(metrics, 'hookrelay_delivery_attempts_total', { outcome: 'skipped' })).toBe(1);
    expect(await count(metrics, 'hookrelay_delivery_attempt_duration_seconds', { result: 'success' })).toBe(
      2,
    );
    expect(await count(metrics, 'hookrelay_delivery_attempt_duration_seconds', { result: 'failure' })).toBe(
      1,
    );
    // A manual resend of an old message is not latency.
    expect(await count(metrics, 'hookrelay_delivery_latency_seconds')).toBe(1);
  });

  it('counts SSRF blocks and endpoint disables from what the attempt recorded', async () => {
    const metrics = new Metrics();
    metrics.attemptEnded({
      result: 'retry',
      responseMs: 0,
      sent: sent({ statusCode: 0, errorKind: 'blocked_address' }),
    });
    metrics.attemptEnded({
      result: 'fail',
      responseMs: 5,
      sent: sent({ statusCode: 500, endpointDisabled: true }),
    });
    expect(await value(metrics, 'hookrelay_ssrf_blocked_total')).toBe(1);
    expect(await value(metrics, 'hookrelay_endpoints_disabled_total')).toBe(1);
    expect(await count(metrics, 'hookrelay_delivery_latency_seconds')).toBe(0);
  });

  it('keeps each instance on its own registry, so two apps in one process do not mix their counts', async () => {
    const api = new Metrics();
    const worker = new Metrics();
    api.messagesAccepted.inc();
    expect(await value(api, 'hookrelay_messages_accepted_total')).toBe(1);
    expect(await value(worker, 'hookrelay_messages_accepted_total')).toBe(0);
  });
});
