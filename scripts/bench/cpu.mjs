// CPU per process from /proc (Linux): user + system time of every process the bench knows about, grouped
// (api, worker-1…, postgres = the postmaster and all its children, redis, receiver, loadgen, …), plus the
// whole machine's busy time from /proc/stat, so what other programs used meanwhile ("foreign") shows too.
// Elsewhere (no /proc) every figure is null and the bench still runs.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const HAS_PROC = fs.existsSync('/proc/self/stat');
const TICK_MS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const hz = Number(r.stdout?.trim());
  return 1000 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
})();

/** utime + stime (ms) and parent pid of a process, or null if it is gone. */
export function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; fields after it are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), cpuMs: (Number(rest[11]) + Number(rest[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine (ms, summed over cores). */
function machineTimes() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already inside user
    const idle = v[3] + (v[4] ?? 0);
    return { busyMs: (total - idle) * TICK_MS, totalMs: total * TICK_MS };
  } catch {
    return null;
  }
}

/** Pids whose parent is `ppid` (one pass over /proc). */
function childrenOf(ppid) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    const s = procStat(entry);
    if (s && s.ppid === ppid) out.push(Number(entry));
  }
  return out;
}

/**
 * `groups()` returns the current {name: pid[] | {tree: rootPid}}; a tree is the root and its direct children
 * (PostgreSQL's backends). Call sample() now and then (new backends are picked up; a process that ended keeps
 * its last reading), window() to start a measurement, and read(window) for CPU used since.
 */
export class CpuMeter {
  constructor(groups) {
    this.groups = groups;
    /** pid -> last cpuMs seen */
    this.last = new Map();
    /** pid -> group name */
    this.groupOf = new Map();
  }

  get available() {
    return HAS_PROC;
  }

  sample() {
    if (!HAS_PROC) return;
    for (const [name, spec] of Object.entries(this.groups())) {
      const pids = Array.isArray(spec) ? spec : spec?.tree ? [spec.tree, ...childrenOf(spec.tree)] : [];
      for (const pid of pids) {
        const s = procStat(pid);
        if (!s) continue;
        this.last.set(pid, s.cpuMs);
        this.groupOf.set(pid, name);
      }
    }
  }

  /** A snapshot to measure from. */
  window() {
    this.sample();
    return {
      at: performance.now(),
      pids: new Map(this.last),
      machine: machineTimes(),
      self: process.cpuUsage(),
    };
  }

  /**
   * CPU used since `from`: {wallMs, groups: {name: ms}, oursMs, machineBusyMs, foreignMs, cores}. A process
   * first seen after `from` counts from zero (it started during the window).
   */
  read(from) {
    this.sample();
    const wallMs = performance.now() - from.at;
    if (!HAS_PROC) return { wallMs, groups: null };
    const groups = {};
    for (const [pid, ms] of this.last) {
      const name = this.groupOf.get(pid);
      groups[name] = (groups[name] ?? 0) + ms - (from.pids.get(pid) ?? 0);
    }
    const m = machineTimes();
    const oursMs = Object.values(groups).reduce((a, b) => a + b, 0);
    const machineBusyMs = m && from.machine ? m.busyMs - from.machine.busyMs : null;
    const cores = m && from.machine ? (m.totalMs - from.machine.totalMs) / wallMs : null;
    return {
      wallMs,
      groups,
      oursMs,
      machineBusyMs,
      foreignMs: machineBusyMs === null ? null : Math.max(0, machineBusyMs - oursMs),
      cores: cores === null ? null : Math.round(cores),
    };
  }
}
