// `node scripts/bench/profile-summary.mjs <file.cpuprofile> [function]`: where a V8 CPU profile (from
// BENCH_CPU_PROF=1) spends its time, by package or file and by function, as shares of the samples; with a
// function name, the call paths that lead to it. Idle time is listed too: the share of the process's life it
// had nothing to do.
import fs from 'node:fs';

const [file, focus] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/bench/profile-summary.mjs <file.cpuprofile> [function]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));
const total = profile.timeDeltas.reduce((a, b) => a + b, 0);

const where = (frame) =>
  (frame.url || '(native)')
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(process.cwd() + '/', '');
const packageOf = (url) => {
  const parts = url.split('/');
  if (url.startsWith('node:') || url.startsWith('(')) return url;
  if (url.startsWith('dist/')) return parts.slice(0, 4).join('/');
  return parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/');
};
const add = (map, key, t) => map.set(key, (map.get(key) ?? 0) + t);
const byPackage = new Map();
const byFunction = new Map();
for (const [id, t] of self) {
  const frame = nodes.get(id).callFrame;
  add(byPackage, packageOf(where(frame)), t);
  add(byFunction, `${frame.functionName || '(anonymous)'}  ${where(frame)}:${frame.lineNumber + 1}`, t);
}
const top = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
if (focus) {
  const paths = new Map();
  for (const [id, t] of self) {
    if (nodes.get(id).callFrame.functionName !== focus) continue;
    const chain = [];
    for (let p = parent.get(id), d = 0; p && d < 8; p = parent.get(p), d++) {
      const f = nodes.get(p).callFrame;
      chain.push(`${f.functionName || '(anonymous)'}@${where(f)}:${f.lineNumber + 1}`);
    }
    add(paths, chain.join(' <- '), t);
  }
  console.log(`\ncalls into ${focus}:\n${top(paths, 10)}`);
} else {
  console.log(`\nby package or file:\n${top(byPackage, 25)}`);
  console.log(`\nby function:\n${top(byFunction, 40)}`);
}
