// Turning the load generator's and the receiver's records into rates and latencies.

import { summarize } from './common.mjs';

/** id -> index in the load run, for the accepted messages. */
export function indexOf(run) {
  const map = new Map();
  run.ids.forEach((id, i) => {
    if (id) map.set(id, i);
  });
  return map;
}

/** How many messages the API accepted (202) in a load run. */
export function acceptedCount(run) {
  let n = 0;
  for (const s of run.status) if (s === 202) n++;
  return n;
}

/**
 * Accepted/s and API latency over the part of a load run after `warmupMs`: 202s that arrived between then
 * and the moment the generator stopped sending, per second of that window (so an API that answers late,
 * as in an open-loop run it cannot keep up with, shows a lower rate, not the offered one); latency over the
 * requests sent in that window. Falls back to the whole run when it was shorter than the warm-up.
 */
export function ingestFigures(run, warmupMs) {
  let from = run.started + warmupMs;
  if (from >= run.stoppedSending) from = run.started;
  const to = run.stoppedSending;
  const seconds = (to - from) / 1000;
  const apiMs = [];
  let accepted = 0;
  for (let i = 0; i < run.status.length; i++) {
    if (run.status[i] !== 202) continue;
    if (run.doneAt[i] >= from && run.doneAt[i] <= to) accepted++;
    if (run.sentAt[i] >= from) apiMs.push(run.doneAt[i] - run.sentAt[i]);
  }
  const s = summarize(apiMs);
  return {
    acceptedPerSec: seconds > 0 ? Math.round(accepted / seconds) : null,
    measuredSeconds: round2(seconds),
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    maxMs: s.maxMs,
  };
}

/** First and last arrival and the count over the receipts of the given messages (all when `ids` is null). */
export function receiptSpan(receipts, index = null) {
  let first = Infinity;
  let last = -Infinity;
  let count = 0;
  for (const { ids, at } of Object.values(receipts)) {
    for (let k = 0; k < ids.length; k++) {
      if (index && !index.has(ids[k])) continue;
      count++;
      if (at[k] < first) first = at[k];
      if (at[k] > last) last = at[k];
    }
  }
  return { first, last, count };
}

/** Receipts of the run's messages that arrived in [from, to]. */
export function receiptsBetween(receipts, index, from, to) {
  let n = 0;
  for (const { ids, at } of Object.values(receipts)) {
    for (let k = 0; k < ids.length; k++) {
      if (at[k] >= from && at[k] <= to && index.has(ids[k])) n++;
    }
  }
  return n;
}

/**
 * Latency of each delivery of the run's messages, from `origin` ('scheduledAt' | 'sentAt' | 'doneAt' = the
 * 202) to arrival, for messages whose origin is at or after `fromTime`. Missing deliveries (expected
 * `perMessage` per message) can be counted as lasting until `censorAt` (a lower bound), when given.
 */
export function deliveryLatencies(run, receipts, { origin, fromTime = -Infinity, perMessage = 1, censorAt }) {
  const index = indexOf(run);
  const seen = new Map();
  const values = [];
  for (const { ids, at } of Object.values(receipts)) {
    for (let k = 0; k < ids.length; k++) {
      const i = index.get(ids[k]);
      if (i === undefined) continue;
      const t0 = run[origin][i];
      if (t0 < fromTime) continue;
      values.push(at[k] - t0);
      seen.set(i, (seen.get(i) ?? 0) + 1);
    }
  }
  let missing = 0;
  for (const i of index.values()) {
    const t0 = run[origin][i];
    if (t0 < fromTime) continue;
    const got = seen.get(i) ?? 0;
    for (let m = got; m < perMessage; m++) {
      missing++;
      if (censorAt !== undefined) values.push(censorAt - t0);
    }
  }
  return { ...summarize(values), missing };
}

/** Per message: time from its 202 to the last (and first) of its deliveries, over every path. */
export function fanoutCompletion(run, receipts) {
  const index = indexOf(run);
  const first = new Map();
  const last = new Map();
  const count = new Map();
  for (const { ids, at } of Object.values(receipts)) {
    for (let k = 0; k < ids.length; k++) {
      const i = index.get(ids[k]);
      if (i === undefined) continue;
      count.set(i, (count.get(i) ?? 0) + 1);
      if (!(at[k] >= (first.get(i) ?? Infinity))) first.set(i, at[k]);
      if (!(at[k] <= (last.get(i) ?? -Infinity))) last.set(i, at[k]);
    }
  }
  const toLast = [];
  const toFirst = [];
  for (const [i, t] of last) toLast.push(t - run.doneAt[i]);
  for (const [i, t] of first) toFirst.push(t - run.doneAt[i]);
  return { toLast: summarize(toLast), toFirst: summarize(toFirst), counts: count };
}

export const round2 = (v) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);
