// The bench scenarios, run in this order. Each one starts from a clean state (fresh tenant, application and
// endpoints; an empty queue; the high-volume tables truncated), is bounded in messages and in time, and
// resolves {status: 'ok' | 'incomplete', reason?, ...figures, cpu}. A scenario that runs out of time says so
// instead of waiting longer.

import { randomBytes } from 'node:crypto';
import {
  acceptedCount,
  deliveryLatencies,
  fanoutCompletion,
  indexOf,
  ingestFigures,
  receiptSpan,
  receiptsBetween,
  round2,
} from './analysis.mjs';
import { now, sleep } from './common.mjs';
import {
  clearQueuePrefix,
  messageTarget,
  orderedMessageTarget,
  payloadText,
  provision,
} from './platform.mjs';

export const SCENARIOS = [
  'ceiling',
  'ingest',
  'drain',
  'sustained',
  'saturation',
  'fanout',
  'noisy',
  'throttled',
  'ordered',
];

/** Polls `check` until it returns something truthy or the time is up; resolves that value or null. */
async function waitFor(check, { timeoutMs, intervalMs = 100 }) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (now() >= deadline) return null;
    await sleep(intervalMs);
  }
}

const ratio = (rate, ctx) =>
  rate && ctx.ceilingPerSec ? Math.round((rate / ctx.ceilingPerSec) * 1000) / 1000 : null;

/** CPU used by each process over a window, per unit of work. */
export function cpuReport(use, units, unit) {
  if (!use?.groups) return null;
  const per = (ms) => (units > 0 ? Math.round((ms / units) * 1000) / 1000 : null);
  const processes = {};
  for (const [name, ms] of Object.entries(use.groups).sort()) {
    // Processes of other scenarios (a stopped ceiling worker) and idle ones measure nothing here.
    if (ms <= 0) continue;
    processes[name] = { cpuMs: Math.round(ms), cores: round2(ms / use.wallMs), msPerUnit: per(ms) };
  }
  return {
    unit,
    units,
    seconds: round2(use.wallMs / 1000),
    processes,
    oursMsPerUnit: per(use.oursMs),
    oursCores: round2(use.oursMs / use.wallMs),
    machineBusyCores: use.machineBusyMs === null ? null : round2(use.machineBusyMs / use.wallMs),
    foreignCores: use.foreignMs === null ? null : round2(use.foreignMs / use.wallMs),
  };
}

/** The receiver's count under `prefix`. */
async function received(ctx, prefix) {
  return (await ctx.receiver.call('progress', prefix)).received;
}

/**
 * Waits until `expected` deliveries arrived under `prefix` and `expected` attempts are recorded for the
 * tenants; resolves {delivered, attempts, recordedAt, complete, reason}.
 */
async function waitDelivered(ctx, { prefix, expected, tenantIds, timeoutMs }) {
  const bound = ctx.budgetMs(timeoutMs);
  const got = await waitFor(async () => (await received(ctx, prefix)) >= expected, {
    timeoutMs: bound,
    intervalMs: 50,
  });
  const delivered = await received(ctx, prefix);
  if (!got) {
    return {
      delivered,
      attempts: await ctx.db.attempts(tenantIds),
      recordedAt: now(),
      complete: false,
      reason: `${expected - delivered} of ${expected} deliveries missing after ${Math.round(bound / 1000)} s`,
    };
  }
  let attempts = 0;
  const recorded = await waitFor(async () => (attempts = await ctx.db.attempts(tenantIds)) >= expected, {
    timeoutMs: ctx.budgetMs(30_000),
    intervalMs: 100,
  });
  const recordedAt = now();
  return {
    delivered,
    attempts,
    recordedAt,
    complete: !!recorded,
    reason: recorded ? undefined : `${expected - attempts} of ${expected} attempts not recorded after 30 s`,
  };
}

function endpointsUnder(ctx, prefix, count) {
  return Array.from({ length: count }, (_, i) => ({ url: `${ctx.receiverUrl}${prefix}ep${i}` }));
}

function tenant(ctx, name, endpoints) {
  return provision(ctx.origin, ctx.adminToken, {
    name: `${name}-${randomBytes(3).toString('hex')}`,
    endpoints,
    secret: ctx.secret,
  });
}

function loadClosed(ctx, target, { seconds, maxMessages, concurrency = ctx.cfg.concurrency }) {
  return ctx.loadgen.callWithin(seconds * 1000 + 60_000, 'closed', {
    origins: ctx.origins,
    target,
    concurrency,
    seconds,
    maxMessages,
  });
}

function loadOpen(ctx, target, { rate, seconds, maxMessages = Math.ceil(rate * seconds) }) {
  return ctx.loadgen.callWithin(seconds * 1000 + 60_000, 'open', {
    origins: ctx.origins,
    target,
    connections: ctx.cfg.concurrency,
    rate,
    seconds,
    maxMessages,
  });
}

function loadProblem(run, accepted) {
  const failed = run.status.length - accepted;
  if (failed === 0) return undefined;
  return `${failed} message(s) not accepted (${JSON.stringify(run.statusCounts)}; first: ${run.errors[0] ?? '?'})`;
}

/**
 * BENCH_WORKERS workers running with `extra` environment. Workers that had to be (re)started first deliver a
 * few hundred messages of a throw-away tenant, so that a scenario measures warm processes (JIT, connection
 * pools, PostgreSQL backends' caches) rather than their start-up. The drain is the exception: like the
 * ceiling, it starts its workers cold on the backlog.
 */
async function warmWorkers(ctx, extra) {
  const { cfg } = ctx;
  if (!(await ctx.workers.ensure(extra)) || cfg.warmupMessages === 0) return;
  const t = await tenant(ctx, 'warmup', [{ url: `${ctx.receiverUrl}/warmup/ep0` }]);
  const run = await loadClosed(ctx, messageTarget(t, cfg.payloadBytes), {
    seconds: 5,
    maxMessages: cfg.warmupMessages,
    concurrency: 10,
  });
  const accepted = acceptedCount(run);
  const done = await waitFor(async () => (await received(ctx, '/warmup/')) >= accepted, {
    timeoutMs: ctx.budgetMs(30_000),
    intervalMs: 50,
  });
  ctx.log(
    `fresh workers warmed up with ${done ? accepted : `${await received(ctx, '/warmup/')} of ${accepted}`} messages`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// 1. ceiling

export async function ceiling(ctx) {
  const result = await bareDrain(ctx, { name: 'ceiling', receiptPrefix: '/ceiling/' });
  if (result.status === 'ok') ctx.ceilingPerSec = result.deliveredPerSec;
  return result;
}

/**
 * The ceiling measured again right after the drain (BENCH_CEILING_RECHECK=1, the default), so the drain's
 * ratio is taken against the mean of a ceiling just before it and one just after it. On a virtual machine
 * the same bare drain runs 30 % faster or slower from one minute to the next; the drift between the two
 * says how far this run's ratios can be trusted. Sets the ceiling later scenarios' ratios use to the mean.
 */
async function ceilingAgain(ctx) {
  const before = ctx.ceilingPerSec;
  if (!ctx.cfg.ceilingRecheck || !before) return null;
  const again = await bareDrain(ctx, { name: 'ceiling again', receiptPrefix: '/ceiling-again/' });
  if (again.status !== 'ok') return { status: again.status, reason: again.reason };
  const meanPerSec = Math.round((before + again.deliveredPerSec) / 2);
  ctx.ceilingPerSec = meanPerSec;
  return {
    status: 'ok',
    beforePerSec: before,
    afterPerSec: again.deliveredPerSec,
    meanPerSec,
    drift: Math.round((again.deliveredPerSec / before - 1) * 1000) / 1000,
    cpu: again.cpu,
  };
}

/** A backlog of delivery-shaped jobs drained by bare BullMQ workers (no platform code): the ceiling. */
async function bareDrain(ctx, { name, receiptPrefix }) {
  const { cfg } = ctx;
  const prefix = '{hrbench-ceiling}';
  const queueName = 'delivery';
  const path = `${receiptPrefix}ep0`;
  await clearQueuePrefix(ctx.redisUrl, prefix);
  // The backlog comes from a process of its own, so the draining workers start as cold as the
  // platform's worker does in the drain (no BullMQ or ioredis code compiled by the fill).
  ctx.log(`${name}: filling ${cfg.ceilingJobs} jobs with addBulk…`);
  const [filler] = ctx.spawnCeilingWorkers(1, 'ceiling-fill');
  let fill;
  try {
    fill = await filler.callWithin(ctx.budgetMs(120_000), 'fill', {
      redisUrl: ctx.redisUrl,
      prefix,
      queueName,
      jobs: cfg.ceilingJobs,
      runId: randomBytes(3).toString('hex'),
    });
  } finally {
    await filler.stop();
  }
  const procs = ctx.spawnCeilingWorkers(cfg.workers);
  try {
    const progress = async () => {
      const all = await Promise.all(procs.map((p) => p.call('progress')));
      return {
        completed: all.reduce((a, p) => a + p.completed, 0),
        failed: all.reduce((a, p) => a + p.failed, 0),
        errors: all.flatMap((p) => p.errors),
      };
    };
    const untrack = ctx.track(name, async () => {
      const p = await progress();
      return `jobs ${cfg.ceilingJobs}  delivered ${await received(ctx, receiptPrefix)}  completed ${p.completed}  failed ${p.failed}`;
    });
    try {
      await Promise.all(
        procs.map((p) =>
          p.call('start', {
            redisUrl: ctx.redisUrl,
            prefix,
            queueName,
            concurrency: cfg.workerConcurrency,
            url: `${ctx.receiverUrl}${path}`,
            body: payloadText(cfg.payloadBytes),
            secret: ctx.secret,
            timeoutMs: cfg.deliveryTimeoutMs,
            userAgent: 'Hookrelay/bench-ceiling',
          }),
        ),
      );
      const firstSeen = await waitFor(async () => (await received(ctx, receiptPrefix)) > 0, {
        timeoutMs: ctx.budgetMs(30_000),
        intervalMs: 10,
      });
      if (!firstSeen) return { status: 'incomplete', reason: 'no delivery within 30 s of starting' };
      const cpuFrom = ctx.cpu.window();
      const d0 = await received(ctx, receiptPrefix);
      const done = await waitFor(
        async () => {
          const p = await progress();
          return p.completed + p.failed >= cfg.ceilingJobs;
        },
        { timeoutMs: ctx.budgetMs(cfg.ceilingTimeoutS * 1000), intervalMs: 50 },
      );
      const endAt = now();
      const cpu = ctx.cpu.read(cpuFrom);
      const p = await progress();
      const span = receiptSpan(await ctx.receiver.call('receipts', receiptPrefix));
      const deliveredPerSec = Math.round((p.completed / (endAt - span.first)) * 1000);
      const result = {
        status: done && p.failed === 0 ? 'ok' : 'incomplete',
        reason: !done
          ? `${cfg.ceilingJobs - p.completed - p.failed} jobs left after ${cfg.ceilingTimeoutS} s`
          : p.failed
            ? `${p.failed} jobs failed (${p.errors[0] ?? '?'})`
            : undefined,
        deliveredPerSec,
        jobs: cfg.ceilingJobs,
        delivered: span.count,
        workers: cfg.workers,
        concurrency: cfg.workerConcurrency,
        fillJobsPerSec: Math.round((cfg.ceilingJobs / fill.ms) * 1000),
        seconds: round2((endAt - span.first) / 1000),
        cpu: cpuReport(cpu, span.count - d0, 'delivery'),
      };
      return result;
    } finally {
      untrack();
    }
  } finally {
    await Promise.all(procs.map((p) => p.call('close').catch(() => undefined)));
    await Promise.all(procs.map((p) => p.stop()));
    await clearQueuePrefix(ctx.redisUrl, prefix);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2. ingest (no worker running: the backlog stays for the drain)

export async function ingest(ctx) {
  const { cfg } = ctx;
  await ctx.workers.stop();
  const t = await tenant(ctx, 'ingest', endpointsUnder(ctx, '/ingest/', cfg.endpoints));
  const untrack = ctx.track('ingest', async () => {
    const l = await ctx.loadgen.call('progress');
    return `sent ${l.sent}  accepted ${l.accepted}  failed ${l.failed}`;
  });
  const cpuFrom = ctx.cpu.window();
  let run;
  try {
    run = await loadClosed(ctx, messageTarget(t, cfg.payloadBytes), {
      seconds: cfg.warmupSeconds + cfg.seconds,
      maxMessages: cfg.maxMessages,
    });
  } finally {
    untrack();
  }
  const cpu = ctx.cpu.read(cpuFrom);
  const accepted = acceptedCount(run);
  const figures = ingestFigures(run, cfg.warmupSeconds * 1000);
  const problem = loadProblem(run, accepted);
  ctx.backlog = {
    prefix: '/ingest/',
    tenantIds: [t.tenantId],
    expected: accepted * cfg.endpoints,
    messages: accepted,
  };
  return {
    status: problem || accepted === 0 ? 'incomplete' : 'ok',
    reason: problem ?? (accepted === 0 ? 'nothing accepted' : undefined),
    ...figures,
    accepted,
    failed: run.status.length - accepted,
    concurrency: cfg.concurrency,
    endpoints: cfg.endpoints,
    cpu: cpuReport(cpu, accepted, 'message'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// 3. drain: the ingest's backlog, delivered by the workers alone

export async function drain(ctx) {
  const { cfg } = ctx;
  let preIngest;
  if (!ctx.backlog) {
    ctx.log('drain: no backlog from the ingest scenario; ingesting one first');
    preIngest = await ingest(ctx);
  }
  const backlog = ctx.backlog;
  ctx.backlog = null;
  if (!backlog?.expected) return { status: 'incomplete', reason: 'no backlog to drain', preIngest };
  const untrack = ctx.track('drain', async () => {
    return `delivered ${await received(ctx, backlog.prefix)}/${backlog.expected}`;
  });
  try {
    await ctx.workers.ensure({});
    const first = await waitFor(async () => (await received(ctx, backlog.prefix)) > 0, {
      timeoutMs: ctx.budgetMs(60_000),
      intervalMs: 10,
    });
    if (!first) return { status: 'incomplete', reason: 'no delivery within 60 s of starting the workers' };
    const cpuFrom = ctx.cpu.window();
    const d0 = await received(ctx, backlog.prefix);
    const w = await waitDelivered(ctx, {
      prefix: backlog.prefix,
      expected: backlog.expected,
      tenantIds: backlog.tenantIds,
      timeoutMs: cfg.drainTimeoutS * 1000,
    });
    const cpu = ctx.cpu.read(cpuFrom);
    const span = receiptSpan(await ctx.receiver.call('receipts', backlog.prefix));
    const statuses = await ctx.db.deliveryStatus(backlog.tenantIds);
    const seconds = (w.recordedAt - span.first) / 1000;
    const deliveredPerSec = Math.round(w.delivered / seconds);
    const wrongStatus = w.complete && statuses.success !== backlog.expected;
    untrack();
    // Bracket the drain with a second ceiling; the ratio is to the mean of the two.
    const ceilingRecheck = await ceilingAgain(ctx);
    return {
      status: w.complete && !wrongStatus ? 'ok' : 'incomplete',
      reason: w.reason ?? (wrongStatus ? `delivery statuses ${JSON.stringify(statuses)}` : undefined),
      deliveredPerSec,
      ratioToCeiling: ratio(deliveredPerSec, ctx),
      ceilingRecheck,
      backlog: backlog.expected,
      delivered: w.delivered,
      attemptsRecorded: w.attempts,
      deliveryStatus: statuses,
      seconds: round2(seconds),
      recordLagMs: round2(w.recordedAt - span.last),
      workers: cfg.workers,
      concurrency: cfg.workerConcurrency,
      preIngest,
      cpu: cpuReport(cpu, w.delivered - d0, 'delivery'),
    };
  } finally {
    untrack();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 4. sustained: a fixed rate, open loop, workers running

export async function sustained(ctx) {
  const { cfg } = ctx;
  await warmWorkers(ctx, {});
  const t = await tenant(ctx, 'sustained', endpointsUnder(ctx, '/sustained/', cfg.endpoints));
  const prefix = '/sustained/';
  const untrack = ctx.track('sustained', async () => {
    const l = await ctx.loadgen.call('progress');
    return `sent ${l.sent}  accepted ${l.accepted}  failed ${l.failed}  delivered ${await received(ctx, prefix)}`;
  });
  try {
    const cpuFrom = ctx.cpu.window();
    const run = await loadOpen(ctx, messageTarget(t, cfg.payloadBytes), {
      rate: cfg.rate,
      seconds: cfg.warmupSeconds + cfg.seconds,
    });
    const accepted = acceptedCount(run);
    const w = await waitDelivered(ctx, {
      prefix,
      expected: accepted * cfg.endpoints,
      tenantIds: [t.tenantId],
      timeoutMs: cfg.drainTimeoutS * 1000,
    });
    const cpu = ctx.cpu.read(cpuFrom);
    const receipts = await ctx.receiver.call('receipts', prefix);
    const from = run.started + cfg.warmupSeconds * 1000;
    const fromScheduled = deliveryLatencies(run, receipts, {
      origin: 'scheduledAt',
      fromTime: from,
      perMessage: cfg.endpoints,
    });
    const fromSent = deliveryLatencies(run, receipts, {
      origin: 'sentAt',
      fromTime: from,
      perMessage: cfg.endpoints,
    });
    const sendLag = [];
    for (let i = 0; i < run.sentAt.length; i++) sendLag.push(run.sentAt[i] - run.scheduledAt[i]);
    sendLag.sort((a, b) => a - b);
    const windowS = (run.stoppedSending - from) / 1000;
    const index = indexOf(run);
    const deliveredInWindow = receiptsBetween(receipts, index, from, run.stoppedSending);
    const deliveredPerSec = Math.round(deliveredInWindow / windowS);
    const problem = loadProblem(run, accepted);
    return {
      status: w.complete && !problem ? 'ok' : 'incomplete',
      reason: problem ?? w.reason,
      offeredPerSec: cfg.rate,
      acceptedPerSec: ingestFigures(run, cfg.warmupSeconds * 1000).acceptedPerSec,
      deliveredPerSec,
      ratioToCeiling: ratio(deliveredPerSec, ctx),
      latencyFrom: 'scheduled send time',
      p50Ms: fromScheduled.p50Ms,
      p95Ms: fromScheduled.p95Ms,
      p99Ms: fromScheduled.p99Ms,
      maxMs: fromScheduled.maxMs,
      fromSendTime: { p50Ms: fromSent.p50Ms, p95Ms: fromSent.p95Ms, p99Ms: fromSent.p99Ms },
      // From the database: how much of it is the wait between accept and the attempt going out.
      stages: await ctx.db.firstAttemptStages([t.tenantId], from),
      api: ingestFigures(run, cfg.warmupSeconds * 1000),
      generatorLagP99Ms: round2(sendLag[Math.floor(sendLag.length * 0.99)] ?? null),
      accepted,
      delivered: w.delivered,
      attemptsRecorded: w.attempts,
      drainSecondsAfterLoad: round2((receiptSpan(receipts).last - run.stoppedSending) / 1000),
      cpu: cpuReport(cpu, accepted, 'message'),
    };
  } finally {
    untrack();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 5. saturation: closed loop at BENCH_CONCURRENCY with the workers delivering at the same time

export async function saturation(ctx) {
  const { cfg } = ctx;
  await warmWorkers(ctx, {});
  const t = await tenant(ctx, 'saturation', endpointsUnder(ctx, '/saturation/', cfg.endpoints));
  const prefix = '/saturation/';
  const untrack = ctx.track('saturation', async () => {
    const l = await ctx.loadgen.call('progress');
    return `sent ${l.sent}  accepted ${l.accepted}  failed ${l.failed}  delivered ${await received(ctx, prefix)}`;
  });
  try {
    const cpuFrom = ctx.cpu.window();
    const run = await loadClosed(ctx, messageTarget(t, cfg.payloadBytes), {
      seconds: cfg.warmupSeconds + cfg.seconds,
      maxMessages: cfg.maxMessages,
    });
    const accepted = acceptedCount(run);
    const deliveredAtStop = await received(ctx, prefix);
    const w = await waitDelivered(ctx, {
      prefix,
      expected: accepted * cfg.endpoints,
      tenantIds: [t.tenantId],
      timeoutMs: cfg.drainTimeoutS * 1000,
    });
    const cpu = ctx.cpu.read(cpuFrom);
    const receipts = await ctx.receiver.call('receipts', prefix);
    const ingestFig = ingestFigures(run, cfg.warmupSeconds * 1000);
    const from = run.started + cfg.warmupSeconds * 1000;
    const windowS = (run.stoppedSending - from) / 1000;
    const index = indexOf(run);
    const deliveredPerSec = Math.round(receiptsBetween(receipts, index, from, run.stoppedSending) / windowS);
    const span = receiptSpan(receipts);
    const overall = Math.round(
      w.delivered / ((Math.max(span.last, run.stoppedSending) - run.started) / 1000),
    );
    const lat = deliveryLatencies(run, receipts, {
      origin: 'sentAt',
      fromTime: from,
      perMessage: cfg.endpoints,
    });
    const problem = loadProblem(run, accepted);
    return {
      status: w.complete && !problem ? 'ok' : 'incomplete',
      reason: problem ?? w.reason,
      acceptedPerSec: ingestFig.acceptedPerSec,
      deliveredPerSec,
      ratioToCeiling: ratio(deliveredPerSec, ctx),
      deliveredPerSecIncludingDrain: overall,
      latencyFrom: 'send time (closed loop)',
      p50Ms: lat.p50Ms,
      p95Ms: lat.p95Ms,
      p99Ms: lat.p99Ms,
      api: { p50Ms: ingestFig.p50Ms, p99Ms: ingestFig.p99Ms },
      accepted,
      backlogAtStop: accepted * cfg.endpoints - deliveredAtStop,
      drainSecondsAfterLoad: round2((span.last - run.stoppedSending) / 1000),
      delivered: w.delivered,
      attemptsRecorded: w.attempts,
      cpu: cpuReport(cpu, accepted, 'message'),
    };
  } finally {
    untrack();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 6. fan-out: one message to many endpoints

export async function fanout(ctx) {
  const { cfg } = ctx;
  const E = cfg.fanoutEndpoints;
  await warmWorkers(ctx, {});
  const prefix = '/fanout/';
  const t = await tenant(ctx, 'fanout', endpointsUnder(ctx, prefix, E));
  const target = messageTarget(t, cfg.payloadBytes);
  const untrack = ctx.track('fanout', async () => {
    const l = await ctx.loadgen.call('progress');
    return `messages ${l.accepted}  delivered ${await received(ctx, prefix)}`;
  });
  try {
    // Alone: one message at a time, each waited for at all E endpoints.
    const single = [];
    for (let k = 0; k < cfg.fanoutSingles; k++) {
      const r = await loadOpen(ctx, target, { rate: 1, seconds: 1, maxMessages: 1 });
      const id = r.ids[0];
      if (!id) return { status: 'incomplete', reason: loadProblem(r, 0) };
      const times = await waitFor(
        async () => {
          const at = await ctx.receiver.call('receiptsOf', id, prefix);
          return at.length >= E ? at : null;
        },
        { timeoutMs: ctx.budgetMs(30_000), intervalMs: 10 },
      );
      if (!times)
        return {
          status: 'incomplete',
          reason: `a single fan-out message was not delivered to all ${E} endpoints within 30 s`,
        };
      single.push({
        toFirstMs: round2(Math.min(...times) - r.doneAt[0]),
        toLastMs: round2(Math.max(...times) - r.doneAt[0]),
      });
    }
    const singles = cfg.fanoutSingles;
    // A burst: many messages at a fixed rate.
    const cpuFrom = ctx.cpu.window();
    const run = await loadOpen(ctx, target, {
      rate: cfg.fanoutRate,
      seconds: cfg.fanoutMessages / cfg.fanoutRate,
      maxMessages: cfg.fanoutMessages,
    });
    const accepted = acceptedCount(run);
    const w = await waitDelivered(ctx, {
      prefix,
      expected: (accepted + singles) * E,
      tenantIds: [t.tenantId],
      timeoutMs: cfg.drainTimeoutS * 1000,
    });
    const cpu = ctx.cpu.read(cpuFrom);
    const receipts = await ctx.receiver.call('receipts', prefix);
    const index = indexOf(run);
    const span = receiptSpan(receipts, index);
    const seconds = (w.recordedAt - span.first) / 1000;
    const deliveriesPerSec = Math.round(span.count / seconds);
    const completion = fanoutCompletion(run, receipts);
    const api = ingestFigures(run, 0);
    const problem = loadProblem(run, accepted);
    return {
      status: w.complete && !problem ? 'ok' : 'incomplete',
      reason: problem ?? w.reason,
      endpoints: E,
      messages: accepted,
      deliveries: span.count,
      deliveriesPerSec,
      ratioToCeiling: ratio(deliveriesPerSec, ctx),
      offeredMessagesPerSec: cfg.fanoutRate,
      acceptToLastMs: completion.toLast,
      acceptToFirstMs: completion.toFirst,
      alone: {
        messages: single.length,
        acceptToLastMs: single.map((s) => s.toLastMs),
        acceptToFirstMs: single.map((s) => s.toFirstMs),
      },
      api: { p50Ms: api.p50Ms, p99Ms: api.p99Ms },
      attemptsRecorded: w.attempts,
      cpu: cpuReport(cpu, span.count, 'delivery'),
    };
  } finally {
    untrack();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 7. noisy neighbour: a hanging endpoint with a backlog next to another tenant's healthy endpoint

export async function noisy(ctx) {
  const { cfg } = ctx;
  await warmWorkers(ctx, { DELIVERY_TIMEOUT_MS: String(cfg.noisyTimeoutMs) });
  const healthy = await tenant(ctx, 'noisy-b', [{ url: `${ctx.receiverUrl}/noisy/b` }]);
  // Another customer: another origin (the sender pools connections per origin).
  const neighbourOrigin = await ctx.receiver.call('listenAlso');
  const neighbour = await tenant(ctx, 'noisy-a', [{ url: `${neighbourOrigin}/hang/a` }]);
  const targetB = messageTarget(healthy, cfg.payloadBytes);
  let phase = 'baseline';
  const untrack = ctx.track('noisy', async () => {
    const l = await ctx.loadgen.call('progress');
    const r = await ctx.receiver.call('progress', '/noisy/');
    return `${phase}: sent ${l.sent}  accepted ${l.accepted}  healthy delivered ${r.received}  hanging ${r.hanging}  hung ${r.hangArrivals}`;
  });
  try {
    // Baseline: B alone.
    const base = await loadOpen(ctx, targetB, { rate: cfg.noisyRate, seconds: cfg.noisySeconds });
    const baseAccepted = acceptedCount(base);
    await waitFor(async () => (await received(ctx, '/noisy/')) >= baseAccepted, {
      timeoutMs: ctx.budgetMs(30_000),
      intervalMs: 50,
    });
    const baseLat = deliveryLatencies(base, await ctx.receiver.call('receipts', '/noisy/'), {
      origin: 'scheduledAt',
      censorAt: now(),
    });
    // The neighbour: A's backlog on an endpoint that never answers, then B at the same rate as before.
    phase = 'neighbour backlog';
    const cpuFrom = ctx.cpu.window();
    const a = await loadClosed(ctx, messageTarget(neighbour, cfg.payloadBytes), {
      seconds: cfg.noisyBacklogSeconds,
      maxMessages: cfg.noisyBacklog,
    });
    phase = 'healthy under neighbour';
    const withN = await loadOpen(ctx, targetB, { rate: cfg.noisyRate, seconds: cfg.noisySeconds });
    const withAccepted = acceptedCount(withN);
    const target = baseAccepted + withAccepted;
    await waitFor(async () => (await received(ctx, '/noisy/')) >= target, {
      timeoutMs: ctx.budgetMs(cfg.noisyGraceS * 1000),
      intervalMs: 50,
    });
    const observedUntil = now();
    const cpu = ctx.cpu.read(cpuFrom);
    const withLat = deliveryLatencies(withN, await ctx.receiver.call('receipts', '/noisy/'), {
      origin: 'scheduledAt',
      censorAt: observedUntil,
    });
    const hang = await ctx.receiver.call('progress', '/hang/');
    const problem = loadProblem(base, baseAccepted) ?? loadProblem(withN, withAccepted);
    const baselineMissing = baseLat.missing > 0;
    return {
      status: problem || baselineMissing ? 'incomplete' : 'ok',
      reason:
        problem ??
        (baselineMissing ? `${baseLat.missing} baseline messages not delivered within 30 s` : undefined),
      healthyP99Ms: withLat.p99Ms,
      healthyP99IsLowerBound: withLat.missing > 0,
      baselineP99Ms: baseLat.p99Ms,
      healthyP50Ms: withLat.p50Ms,
      baselineP50Ms: baseLat.p50Ms,
      p99RatioToBaseline: baseLat.p99Ms ? round2(withLat.p99Ms / baseLat.p99Ms) : null,
      latencyFrom: 'scheduled send time',
      healthyRatePerSec: cfg.noisyRate,
      healthySent: withAccepted,
      healthyDelivered: withAccepted - withLat.missing,
      neighbourBacklog: acceptedCount(a),
      neighbourAttemptsStarted: hang.hangArrivals,
      deliveryTimeoutMs: cfg.noisyTimeoutMs,
      observedSecondsAfterLastSend: round2((observedUntil - withN.stoppedSending) / 1000),
      cpu: cpuReport(cpu, acceptedCount(a) + withAccepted, 'message'),
    };
  } finally {
    untrack();
    ctx.dirty = true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 8. throttled: an endpoint with throttleRate next to an unthrottled one, both fed the same messages

export async function throttled(ctx) {
  const { cfg } = ctx;
  await warmWorkers(ctx, {});
  const prefix = '/throttled/';
  const t = await tenant(ctx, 'throttled', [
    { url: `${ctx.receiverUrl}${prefix}limited`, throttleRate: cfg.throttleRate },
    { url: `${ctx.receiverUrl}${prefix}free` },
  ]);
  const untrack = ctx.track('throttled', async () => {
    const l = await ctx.loadgen.call('progress');
    const r = await ctx.receiver.call('receipts', prefix);
    return `sent ${l.sent}  limited ${r[`${prefix}limited`]?.ids.length ?? 0}  free ${r[`${prefix}free`]?.ids.length ?? 0}`;
  });
  try {
    const cpuFrom = ctx.cpu.window();
    const run = await loadOpen(ctx, messageTarget(t, cfg.payloadBytes), {
      rate: cfg.throttleOffered,
      seconds: cfg.warmupSeconds + cfg.seconds,
    });
    const accepted = acceptedCount(run);
    // The unthrottled endpoint should get everything soon; the throttled one is not waited for.
    await waitFor(
      async () => {
        const r = await ctx.receiver.call('progress', `${prefix}free`);
        return r.received >= accepted;
      },
      { timeoutMs: ctx.budgetMs(30_000), intervalMs: 50 },
    );
    const cpu = ctx.cpu.read(cpuFrom);
    const receipts = await ctx.receiver.call('receipts', prefix);
    const index = indexOf(run);
    const from = run.started + cfg.warmupSeconds * 1000;
    const windowS = (run.stoppedSending - from) / 1000;
    const rateOf = (p) =>
      round2(
        receiptsBetween({ p: receipts[p] ?? { ids: [], at: [] } }, index, from, run.stoppedSending) / windowS,
      );
    const limitedPerSec = rateOf(`${prefix}limited`);
    const freePerSec = rateOf(`${prefix}free`);
    const freeTotal = receipts[`${prefix}free`]?.ids.length ?? 0;
    const problem = loadProblem(run, accepted);
    return {
      status: problem || freeTotal < accepted ? 'incomplete' : 'ok',
      reason:
        problem ??
        (freeTotal < accepted ? `the unthrottled endpoint got ${freeTotal} of ${accepted}` : undefined),
      throttleRate: cfg.throttleRate,
      offeredPerSec: cfg.throttleOffered,
      windowSeconds: round2(windowS),
      throttledDeliveredPerSec: limitedPerSec,
      unthrottledDeliveredPerSec: freePerSec,
      unthrottledRatioToCeiling: ratio(freePerSec, ctx),
      throttleHeld: Math.abs(limitedPerSec - cfg.throttleRate) <= cfg.throttleRate * 0.1,
      throttledBacklogAtEnd: accepted - (receipts[`${prefix}limited`]?.ids.length ?? 0),
      cpu: cpuReport(cpu, accepted * 2, 'delivery'),
    };
  } finally {
    untrack();
    ctx.dirty = true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 9. ordered: a backlog spread over many ordering keys, drained by the workers alone (the drain's twin)

export async function ordered(ctx) {
  const { cfg } = ctx;
  await ctx.workers.stop();
  const prefix = '/ordered/';
  const t = await tenant(ctx, 'ordered', endpointsUnder(ctx, prefix, 1));
  const target = orderedMessageTarget(t, cfg.payloadBytes, cfg.orderedKeys);
  const untrackIngest = ctx.track('ordered ingest', async () => {
    const l = await ctx.loadgen.call('progress');
    return `sent ${l.sent}  accepted ${l.accepted}  failed ${l.failed}`;
  });
  let run;
  try {
    run = await loadClosed(ctx, target, { seconds: cfg.seconds, maxMessages: cfg.orderedMessages });
  } finally {
    untrackIngest();
  }
  const accepted = acceptedCount(run);
  const problem = loadProblem(run, accepted);
  if (problem || accepted === 0) return { status: 'incomplete', reason: problem ?? 'nothing accepted' };
  const ingest = ingestFigures(run, 0);
  const untrack = ctx.track('ordered', async () => `delivered ${await received(ctx, prefix)}/${accepted}`);
  try {
    await ctx.workers.ensure({});
    const first = await waitFor(async () => (await received(ctx, prefix)) > 0, {
      timeoutMs: ctx.budgetMs(60_000),
      intervalMs: 10,
    });
    if (!first) return { status: 'incomplete', reason: 'no delivery within 60 s of starting the workers' };
    const cpuFrom = ctx.cpu.window();
    const d0 = await received(ctx, prefix);
    const w = await waitDelivered(ctx, {
      prefix,
      expected: accepted,
      tenantIds: [t.tenantId],
      timeoutMs: cfg.drainTimeoutS * 1000,
    });
    const cpu = ctx.cpu.read(cpuFrom);
    const span = receiptSpan(await ctx.receiver.call('receipts', prefix));
    const statuses = await ctx.db.deliveryStatus([t.tenantId]);
    const seconds = (w.recordedAt - span.first) / 1000;
    const deliveredPerSec = Math.round(w.delivered / seconds);
    const wrongStatus = w.complete && statuses.success !== accepted;
    const unordered = ctx.results?.drain?.deliveredPerSec ?? null;
    return {
      status: w.complete && !wrongStatus ? 'ok' : 'incomplete',
      reason: w.reason ?? (wrongStatus ? `delivery statuses ${JSON.stringify(statuses)}` : undefined),
      keys: cfg.orderedKeys,
      acceptedPerSec: ingest.acceptedPerSec,
      deliveredPerSec,
      ratioToCeiling: ratio(deliveredPerSec, ctx),
      // Against the unordered drain of the same run, when it ran.
      ratioToDrain: unordered ? round2(deliveredPerSec / unordered) : null,
      backlog: accepted,
      delivered: w.delivered,
      attemptsRecorded: w.attempts,
      deliveryStatus: statuses,
      seconds: round2(seconds),
      cpu: cpuReport(cpu, w.delivered - d0, 'delivery'),
    };
  } finally {
    untrack();
  }
}
