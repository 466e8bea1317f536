// The bare ceiling: what BullMQ + undici alone deliver on this machine, with no platform logic and no
// PostgreSQL. The queue, job options and job payload have the shape of the platform's DeliveryAttemptV2 jobs;
// the HTTP client has the settings of libs/delivery/src/webhook-sender.ts (one undici Agent, 64 connections
// per origin, keep-alive 30 s, headers/body timeouts and an abort signal at DELIVERY_TIMEOUT_MS, request(),
// the response read up to 4 KiB); each body is signed the way the platform signs (HMAC-SHA256 over
// `id.timestamp.body`, both header families). What the platform adds on top (claim, secret decryption,
// attempt record, next-state bookkeeping) is exactly what the ratio to this ceiling measures.
//
// A helper process: `fill` pre-loads the backlog with addBulk (the bench runs it in a process of its own),
// `start` runs a Worker at WORKER_CONCURRENCY.

import { createHmac } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Agent, request } from 'undici';
import { isMain, serve } from './rpc.mjs';

const RESPONSE_BODY_LIMIT = 4 * 1024;

/** The platform's delivery job options (libs/queue/src/job.producer.ts). */
const JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
};

function connectionOf(redisUrl) {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

export function createCeilingWorker() {
  let worker = null;
  let agent = null;
  let completed = 0;
  let failed = 0;
  const errors = [];

  return {
    /** Adds `jobs` delivery-shaped jobs in addBulk batches of `batch`; resolves the time it took. */
    async fill({ redisUrl, prefix, queueName, jobs, batch = 1000, runId }) {
      const queue = new Queue(queueName, { connection: connectionOf(redisUrl), prefix });
      const started = performance.now();
      for (let i = 0; i < jobs; i += batch) {
        const chunk = [];
        for (let j = i; j < Math.min(jobs, i + batch); j++) {
          const deliveryId = `dlv_${runId}_${j}`;
          chunk.push({
            name: 'DeliveryAttemptV2',
            data: {
              deliveryId,
              fence: 0,
              tenantId: 'ten_bench',
              applicationId: 'app_bench',
              endpointId: 'ep_bench',
            },
            opts: { ...JOB_OPTIONS, jobId: `${deliveryId}-f0` },
          });
        }
        await queue.addBulk(chunk);
      }
      const ms = performance.now() - started;
      await queue.close();
      return { ms };
    },

    async start({ redisUrl, prefix, queueName, concurrency, url, body, secret, timeoutMs, userAgent }) {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      agent = new Agent({
        connections: 64,
        connect: { timeout: Math.min(timeoutMs, 10_000) },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        keepAliveTimeout: 30_000,
      });
      const target = url;
      worker = new Worker(
        queueName,
        async (job) => {
          const msgId = `msg_${job.data.deliveryId}`;
          const timestamp = String(Math.floor(Date.now() / 1000));
          const signature = `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.`).update(body).digest('base64')}`;
          // The sender's deadline, as libs/delivery/src/webhook-sender.ts sets it: a plain timer.
          const deadline = new AbortController();
          const timer = setTimeout(() => deadline.abort(), timeoutMs);
          try {
            const res = await request(new URL(target), {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'user-agent': userAgent,
                'webhook-id': msgId,
                'webhook-timestamp': timestamp,
                'webhook-signature': signature,
                'svix-id': msgId,
                'svix-timestamp': timestamp,
                'svix-signature': signature,
              },
              body,
              dispatcher: agent,
              signal: deadline.signal,
            });
            let size = 0;
            for await (const chunk of res.body) {
              size += chunk.length;
              if (size >= RESPONSE_BODY_LIMIT) {
                res.body.destroy();
                break;
              }
            }
            if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
          } finally {
            clearTimeout(timer);
          }
        },
        { connection: connectionOf(redisUrl), prefix, concurrency },
      );
      worker.on('completed', () => completed++);
      worker.on('failed', (_job, err) => {
        failed++;
        if (errors.length < 5) errors.push(err.message);
      });
      worker.on('error', (err) => {
        if (errors.length < 5) errors.push(err.message);
      });
      await worker.waitUntilReady();
    },

    progress() {
      return { completed, failed, errors };
    },

    async close() {
      await worker?.close(true);
      await agent?.close();
      worker = null;
      agent = null;
    },
  };
}

if (isMain(import.meta.url)) serve(createCeilingWorker());
