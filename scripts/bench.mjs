// `npm run bench`: the real stack on loopback (built API and worker processes, private PostgreSQL and
// Redis under .data/bench), a local receiver and a bounded load generator. Prints accepted messages/s,
// delivered attempts/s and accept-to-receipt latency. Not a test: numbers depend on the machine.
//
//   BENCH_SECONDS (10)  BENCH_CONCURRENCY (50)  BENCH_MAX_MESSAGES (50000)  BENCH_ENDPOINTS (1)
//   BENCH_PAYLOAD_BYTES (1024)  WORKER_CONCURRENCY (100)
//   BENCH_PG_PORT (54331)  BENCH_REDIS_PORT (63791)  BENCH_API_PORT (18090)

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { runOrThrow, startProcess, stopChild, waitForReady } from './lib/processes.mjs';
import { migrate, resetState, startServices } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const MAX_MESSAGES = Number(process.env.BENCH_MAX_MESSAGES ?? 50_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 1);
const PAYLOAD_BYTES = Number(process.env.BENCH_PAYLOAD_BYTES ?? 1024);
const DRAIN_TIMEOUT_MS = 120_000;
const API_PORT = Number(process.env.BENCH_API_PORT ?? 18090);

const log = (msg) => console.log(`[bench] ${msg}`);
const children = [];

async function json(url, method, token, body) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const services = await startServices({
    dataDir: '.data/bench',
    pgPort: Number(process.env.BENCH_PG_PORT ?? 54331),
    redisPort: Number(process.env.BENCH_REDIS_PORT ?? 63791),
    log,
  });
  const cleanup = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    await services.stop();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    const adminToken = randomBytes(24).toString('hex');
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(API_PORT),
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      ADMIN_TOKEN: adminToken,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '100',
    };
    // A fresh database each run so earlier runs' rows do not skew the numbers.
    await resetState({ ...services, root });
    log('migrating and building…');
    await migrate({ root, databaseUrl: services.databaseUrl, inherit: false });
    await runOrThrow('npm', ['run', 'build', '--silent'], { env });

    // The receiver: records when each message id arrived (first receipt per endpoint path).
    const receipts = new Map();
    let received = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        const id = req.headers['webhook-id'];
        if (!receipts.has(id)) receipts.set(id, []);
        receipts.get(id).push(performance.now());
        res.writeHead(204).end();
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

    for (const name of ['api', 'worker']) {
      children.push(
        startProcess(`dist/apps/${name}/src/main.js`, {
          env,
          logFile: `.data/bench/${name}.log`,
          append: false,
        }),
      );
    }
    const api = `http://127.0.0.1:${API_PORT}`;
    await waitForReady(api, { timeoutMs: 60_000, children });

    const tenant = await json(`${api}/admin/v1/tenants`, 'POST', adminToken, { name: 'bench' });
    const app = await json(`${api}/api/v1/app`, 'POST', tenant.apiKey, { name: 'bench' });
    for (let i = 0; i < ENDPOINTS; i++) {
      await json(`${api}/api/v1/app/${app.id}/endpoint`, 'POST', tenant.apiKey, {
        url: `${receiverUrl}/ep${i}`,
      });
    }

    const payload = JSON.stringify({ type: 'bench', data: 'x'.repeat(Math.max(0, PAYLOAD_BYTES - 30)) });
    const body = `{"eventType":"bench.event","payload":${payload}}`;
    const pool = new Pool(api, { connections: CONCURRENCY });
    const sentAt = new Map();
    let accepted = 0;
    let failed = 0;
    let issued = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    log(
      `load: ${CONCURRENCY} connections for ${SECONDS} s (at most ${MAX_MESSAGES} messages), ${ENDPOINTS} endpoint(s)`,
    );
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline && issued < MAX_MESSAGES) {
          issued++;
          const t0 = performance.now();
          const res = await pool.request({
            method: 'POST',
            path: `/api/v1/app/${app.id}/msg`,
            headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
            body,
          });
          const text = await res.body.text();
          if (res.statusCode === 202) {
            accepted++;
            sentAt.set(JSON.parse(text).id, t0);
          } else failed++;
        }
      }),
    );
    const loadEnded = performance.now();
    const expected = accepted * ENDPOINTS;
    const receivedDuringLoad = received;
    log(`load done: ${accepted} accepted, ${failed} failed; waiting for ${expected} deliveries…`);
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (received < expected && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
    const drained = performance.now();
    await pool.close();
    receiver.close();

    const latencies = [];
    let lastReceipt = 0;
    for (const [id, t0] of sentAt) {
      for (const t of receipts.get(id) ?? []) {
        latencies.push(t - t0);
        lastReceipt = Math.max(lastReceipt, t);
      }
    }
    latencies.sort((a, b) => a - b);
    const loadSeconds = (loadEnded - started) / 1000;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      concurrency: CONCURRENCY,
      endpoints: ENDPOINTS,
      payloadBytes: Buffer.byteLength(payload),
      workerConcurrency: Number(env.WORKER_CONCURRENCY),
      accepted,
      failed,
      acceptedPerSecond: Math.round(accepted / loadSeconds),
      delivered: received,
      deliveredPerSecondDuringLoad: Math.round(receivedDuringLoad / loadSeconds),
      deliveredPerSecondEndToEnd: Math.round(
        received / ((Math.max(lastReceipt, loadEnded) - started) / 1000),
      ),
      drainSecondsAfterLoad: Number(((drained - loadEnded) / 1000).toFixed(2)),
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        p99: Math.round(percentile(latencies, 99)),
      },
      complete: received >= expected,
    };
    console.log(JSON.stringify(result, null, 2));
    if (!result.complete) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  console.error(`[bench] ${error.stack ?? error.message}`);
  process.exit(1);
});
