// The bench's webhook receiver: node:http on 127.0.0.1, answering 204 at once. It records when each
// `webhook-id` first arrived on each path (CLOCK_MONOTONIC, see common.mjs), counts repeats, and checks one
// request in `verifyEvery` with the reference Standard Webhooks verifier (a bad signature fails the run).
// Paths under /hang/ are never answered: the sender's timeout ends them (the noisy-neighbour scenario).
//
// Runs as a helper process (node receiver.mjs, driven over IPC) or inside the orchestrator.

import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { loopDelayMonitor, now } from './common.mjs';
import { isMain, serve } from './rpc.mjs';

export function createReceiver() {
  /** The first server is the receiver's main origin; `listenAlso` adds others (same records). */
  const servers = [];
  let verifier = null;
  let verifyEvery = 0;
  /** path -> Map(webhook-id -> first arrival) */
  let paths = new Map();
  const hanging = new Set();
  let stats = freshStats();

  function freshStats() {
    return {
      requests: 0,
      received: 0,
      duplicates: 0,
      hangArrivals: 0,
      missingId: 0,
      verified: 0,
      badSignatures: 0,
      firstFailures: [],
    };
  }

  function record(path, id, at) {
    let ids = paths.get(path);
    if (!ids) paths.set(path, (ids = new Map()));
    if (ids.has(id)) stats.duplicates++;
    else {
      ids.set(id, at);
      stats.received++;
    }
  }

  function verify(req, body) {
    stats.verified++;
    try {
      verifier.verify(body, {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      });
    } catch (err) {
      stats.badSignatures++;
      if (stats.firstFailures.length < 5)
        stats.firstFailures.push(`${req.url} ${req.headers['webhook-id']}: ${err.message}`);
    }
  }

  function onRequest(req, res) {
    const at = now();
    stats.requests++;
    const id = req.headers['webhook-id'];
    if (req.url.startsWith('/hang/')) {
      stats.hangArrivals++;
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      req.resume();
      return;
    }
    if (typeof id !== 'string' || id === '') {
      stats.missingId++;
      if (stats.firstFailures.length < 5) stats.firstFailures.push(`${req.url}: no webhook-id header`);
    } else record(req.url, id, at);
    if (verifier && verifyEvery > 0 && stats.requests % verifyEvery === 0) {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        verify(req, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      });
    } else {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    }
  }

  const readLoopDelay = loopDelayMonitor();

  return {
    /** Event-loop delay since the last call (see common.mjs). */
    loopDelay: () => readLoopDelay(),
    /** Listens on 127.0.0.1:`port` (0: any free port); resolves the base URL. */
    async listen({ port = 0, secret, verifyEvery: every = 50 }) {
      verifier = secret ? new Webhook(secret) : null;
      verifyEvery = every;
      return listenOn(port);
    },
    /**
     * Another origin on a free port, recorded like the first. Senders keep one connection pool per origin,
     * so endpoints of different customers (a hanging one and a healthy one) belong on different origins.
     */
    listenAlso() {
      return listenOn(0);
    },
    /** Forgets every receipt (between scenarios); signature failures are kept for the whole run. */
    reset() {
      paths = new Map();
      const { verified, badSignatures, firstFailures, missingId } = stats;
      stats = { ...freshStats(), verified, badSignatures, firstFailures, missingId };
    },
    progress(prefix) {
      let received = stats.received;
      if (prefix) {
        received = 0;
        for (const [p, ids] of paths) if (p.startsWith(prefix)) received += ids.size;
      }
      return { ...stats, received, hanging: hanging.size };
    },
    /** Receipts per path for the paths under `prefix`: {path: {ids: string[], at: Float64Array}}. */
    receipts(prefix = '/') {
      const out = {};
      for (const [p, ids] of paths) {
        if (!p.startsWith(prefix)) continue;
        out[p] = { ids: [...ids.keys()], at: Float64Array.from(ids.values()) };
      }
      return out;
    },
    /** Arrival times of one message on every path under `prefix`. */
    receiptsOf(id, prefix = '/') {
      const at = [];
      for (const [p, ids] of paths) if (p.startsWith(prefix) && ids.has(id)) at.push(ids.get(id));
      return at;
    },
    /** Cuts the connections held open under /hang/ (their senders then see a reset, not a timeout). */
    releaseHangs() {
      const n = hanging.size;
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      return n;
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      await Promise.all(
        servers.splice(0).map((server) => {
          server.closeAllConnections();
          return new Promise((resolve) => server.close(resolve));
        }),
      );
    },
  };

  async function listenOn(port) {
    const server = createServer(onRequest);
    // Senders keep connections for 30 s (the worker's undici agent); do not make them reconnect.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    servers.push(server);
    return `http://127.0.0.1:${server.address().port}`;
  }
}

if (isMain(import.meta.url)) serve(createReceiver());
