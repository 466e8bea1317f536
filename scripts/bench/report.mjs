// The end of a bench run: the summary table, the CPU table, the statement table (BENCH_PG_STATS=1), and the
// JSON written to bench/results/latest.json.

import { now } from './common.mjs';

const n = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const ms = (v) => (v === null || v === undefined ? '–' : `${n(v, v < 10 ? 1 : 0)}`);
const ratio = (r) => (r === null || r === undefined ? '' : `${(r * 100).toFixed(1)} %`);

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line of figures per scenario. */
function describe(name, r) {
  if (!r || r.status === 'skipped' || r.status === 'failed') return ['', ''];
  switch (name) {
    case 'ceiling':
      return [
        `${n(r.deliveredPerSec)} deliveries/s (${n(r.jobs)} jobs, ${r.workers} × ${r.concurrency})`,
        '100 %',
      ];
    case 'ingest':
      return [`${n(r.acceptedPerSec)} accepted/s; API p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms`, ''];
    case 'drain': {
      const again = r.ceilingRecheck?.status === 'ok' ? r.ceilingRecheck : null;
      return [
        `${n(r.deliveredPerSec)} deliveries/s; ${n(r.attemptsRecorded)}/${n(r.backlog)} attempts recorded` +
          (again
            ? `; vs ceiling before/after ${n(again.beforePerSec)}/${n(again.afterPerSec)} ` +
              `(drift ${again.drift >= 0 ? '+' : ''}${(again.drift * 100).toFixed(0)} %)`
            : ''),
        ratio(r.ratioToCeiling),
      ];
    }
    case 'sustained':
      return [
        `${n(r.offeredPerSec)}/s offered, ${n(r.deliveredPerSec)}/s delivered; p50/p95/p99 ` +
          `${ms(r.p50Ms)}/${ms(r.p95Ms)}/${ms(r.p99Ms)} ms from scheduled`,
        ratio(r.ratioToCeiling),
      ];
    case 'saturation':
      return [
        `${n(r.acceptedPerSec)} accepted/s, ${n(r.deliveredPerSec)} delivered/s; p50/p95/p99 ` +
          `${ms(r.p50Ms)}/${ms(r.p95Ms)}/${ms(r.p99Ms)} ms; backlog ${n(r.backlogAtStop)} at stop`,
        ratio(r.ratioToCeiling),
      ];
    case 'fanout':
      return [
        `${n(r.deliveriesPerSec)} deliveries/s; accept→last of ${r.endpoints}: p50 ${ms(r.acceptToLastMs?.p50Ms)} ms, ` +
          `max ${ms(r.acceptToLastMs?.maxMs)} ms; alone ${r.alone?.acceptToLastMs?.map(ms).join('/')} ms`,
        ratio(r.ratioToCeiling),
      ];
    case 'noisy':
      return [
        `healthy p99 ${r.healthyP99IsLowerBound ? '≥' : ''}${ms(r.healthyP99Ms)} ms vs ${ms(r.baselineP99Ms)} ms alone ` +
          `(${n(r.healthyDelivered)}/${n(r.healthySent)} delivered; ${n(r.neighbourBacklog)} hanging backlog)`,
        '',
      ];
    case 'throttled':
      return [
        `throttled (${r.throttleRate}/s) ${n(r.throttledDeliveredPerSec, 1)}/s, unthrottled ${n(r.unthrottledDeliveredPerSec, 1)}/s ` +
          `of ${n(r.offeredPerSec)}/s offered${r.throttleHeld ? '' : ' — throttle not held'}`,
        ratio(r.unthrottledRatioToCeiling),
      ];
    case 'ordered':
      return [
        `${n(r.deliveredPerSec)} deliveries/s over ${n(r.keys)} ordering keys` +
          (r.ratioToDrain === null ? '' : ` (${r.ratioToDrain} × the unordered drain)`) +
          `; ${n(r.attemptsRecorded)}/${n(r.backlog)} attempts recorded`,
        ratio(r.ratioToCeiling),
      ];
    default:
      return ['', ''];
  }
}

export function printReport({ cfg, machine, results, signatures, startedAt, log }) {
  const problems = [];
  for (const [name, r] of Object.entries(results)) {
    if (r.status !== 'ok') problems.push(`${name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
  }
  if (signatures.badSignatures > 0)
    problems.push(
      `${signatures.badSignatures} signature(s) did not verify: ${signatures.firstFailures.join('; ')}`,
    );
  if (signatures.missingId > 0)
    problems.push(`${signatures.missingId} webhook(s) without a webhook-id header`);

  console.log('');
  console.log(
    table(
      ['scenario', 'status', 'result', 'vs ceiling', 'time'],
      cfg.scenarios.map((name) => {
        const r = results[name];
        const [text, vs] = describe(name, r);
        const status = r.status === 'ok' ? 'ok' : r.status;
        return [name, status, text || r.reason || '', vs, `${r.wallSeconds ?? '–'} s`];
      }),
    ),
  );

  // CPU: ms per unit per process, one column per scenario.
  const cpuScenarios = cfg.scenarios.filter((s) => results[s]?.cpu);
  if (cpuScenarios.length) {
    const names = [...new Set(cpuScenarios.flatMap((s) => Object.keys(results[s].cpu.processes)))];
    const rows = names.map((p) => [
      p,
      ...cpuScenarios.map((s) => {
        const c = results[s].cpu.processes[p];
        return c ? `${n(c.msPerUnit, 3)} (${n(c.cores * 100)}%)` : '';
      }),
    ]);
    rows.push([
      'all of ours',
      ...cpuScenarios.map(
        (s) => `${n(results[s].cpu.oursMsPerUnit, 3)} (${n(results[s].cpu.oursCores * 100)}%)`,
      ),
    ]);
    rows.push([
      'other programs',
      ...cpuScenarios.map((s) =>
        results[s].cpu.foreignCores === null ? '–' : `(${n(results[s].cpu.foreignCores * 100)}%)`,
      ),
    ]);
    rows.push(['unit', ...cpuScenarios.map((s) => `${results[s].cpu.unit} × ${n(results[s].cpu.units)}`)]);
    console.log('');
    console.log(
      "CPU ms per unit of work (and share of one core) per process, over each scenario's measured window:",
    );
    console.log(table(['process', ...cpuScenarios], rows));
  }

  if (cfg.pgStats) {
    for (const s of cfg.scenarios) {
      const top = results[s]?.pgStatements;
      if (!top?.length) continue;
      console.log('');
      console.log(`Top statements in ${s} (pg_stat_statements, planning + execution):`);
      console.log(
        table(
          ['total ms', 'calls', 'mean ms', 'plan ms', 'rows', 'query'],
          top.map((q) => [n(q.totalMs), n(q.calls), q.meanMs, n(q.planMs), n(q.rows), q.query.slice(0, 110)]),
        ),
      );
    }
  }

  console.log('');
  const delays = cfg.scenarios
    .filter((s) => results[s]?.helperLoopDelay)
    .map(
      (s) => `${s} ${results[s].helperLoopDelay.receiver.p99Ms}/${results[s].helperLoopDelay.loadgen.p99Ms}`,
    );
  if (delays.length) log(`event-loop delay p99 of receiver/load generator (ms): ${delays.join(', ')}`);
  const drift = results.drain?.ceilingRecheck?.drift;
  if (typeof drift === 'number' && Math.abs(drift) > 0.15) {
    log(
      `the ceiling moved ${(drift * 100).toFixed(0)} % between before and after the drain: the machine's speed ` +
        'changed during this run, so its ratios to the ceiling are uncertain; run it again',
    );
  }
  if (problems.length) for (const p of problems) log(`INCOMPLETE ${p}`);
  log(
    `signatures: ${signatures.verified} sampled webhooks verified (1 in ${cfg.verifyEvery}), ${signatures.badSignatures} bad`,
  );

  const r = results;
  return {
    date: new Date().toISOString(),
    durationSeconds: Math.round((now() - startedAt) / 1000),
    complete: problems.length === 0,
    problems,
    machine,
    config: { ...cfg, results: undefined },
    ceiling: r.ceiling && { deliveredPerSec: r.ceiling.deliveredPerSec ?? null, ...r.ceiling },
    ingest: r.ingest && {
      acceptedPerSec: r.ingest.acceptedPerSec ?? null,
      p50Ms: r.ingest.p50Ms ?? null,
      p99Ms: r.ingest.p99Ms ?? null,
      ...r.ingest,
    },
    e2e: {
      deliveredPerSec: r.drain?.deliveredPerSec ?? null,
      ratioToCeiling: r.drain?.ratioToCeiling ?? null,
      p50Ms: r.sustained?.p50Ms ?? null,
      p95Ms: r.sustained?.p95Ms ?? null,
      p99Ms: r.sustained?.p99Ms ?? null,
      note: `deliveredPerSec from the drain scenario; latency from the sustained scenario (${cfg.rate}/s, from each message's scheduled send time to its receipt)`,
    },
    drain: r.drain,
    sustained: r.sustained,
    saturation: r.saturation,
    fanout: r.fanout,
    noisyNeighbour: r.noisy && {
      healthyP99Ms: r.noisy.healthyP99Ms ?? null,
      baselineP99Ms: r.noisy.baselineP99Ms ?? null,
      ...r.noisy,
    },
    throttled: r.throttled,
    ordered: r.ordered,
    signatures: {
      verified: signatures.verified,
      bad: signatures.badSignatures,
      failures: signatures.firstFailures,
    },
  };
}
