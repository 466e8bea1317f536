import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** A three-master Redis Cluster on loopback (no replicas, no persistence) for one test file. */
export interface LocalRedisCluster {
  /** A redis:// URL of one node: what REDIS_URL names when REDIS_CLUSTER is true. */
  url: string;
  ports: number[];
  close(): Promise<void>;
}

/** Starts `redis-server` three times in cluster mode, joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-cluster-'));
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await clusterablePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
      ],
      { stdio: 'ignore' },
    ),
  );
  const close = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null) return resolve();
            server.once('exit', () => resolve());
            server.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await waitFor(`redis-server on ${port}`, () => cli(port, ['PING']).then((reply) => reply === 'PONG'));
    }
    await run('redis-cli', [
      ...['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`)],
      ...['--cluster-replicas', '0', '--cluster-yes'],
    ]);
    for (const port of ports) {
      await waitFor(`cluster state ok on ${port}`, () =>
        cli(port, ['CLUSTER', 'INFO']).then((info) => info.includes('cluster_state:ok')),
      );
    }
    // Every node must also agree on the slots before a client's first command lands.
    const probe = new Cluster([{ host: '127.0.0.1', port: ports[0]! }], { lazyConnect: true });
    await probe.connect();
    await probe.quit();
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, close };
}

async function cli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout.trim();
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterablePort(): Promise<number> {
  for (;;) {
    const port = await freePort(0);
    if (port < 55_000 && (await freePort(port + 10_000).catch(() => undefined))) return port;
  }
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}
