// A private PostgreSQL and Redis for development and tests, with their data under the project:
//
//   const { databaseUrl, redisUrl, stop } = await startServices({ dataDir: '.data/test', pgPort: 54330, redisPort: 63790 });
//
// Never uses the default ports. postgres.mjs and redis.mjs hold each server's lifecycle.
// Plain Node.js (node: built-ins only) so it runs before `npm install`.

import fs from 'node:fs';
import path from 'node:path';
import { databaseUrl, ensureDatabase, findPgBinDir, startPostgres, stopPostgres } from './postgres.mjs';
import { PortInUseError, run, which } from './processes.mjs';
import { flushRedis, startRedis, stopRedis } from './redis.mjs';

/**
 * Starts (or reuses) a private PostgreSQL and Redis.
 * `pgSettings` are extra PostgreSQL server settings (e.g. the bench's shared_preload_libraries).
 * `movablePorts`: when a port is held by another process (another checkout's suite running alongside), try
 * the port 100 higher, up to PORT_TRIES times, instead of failing. Only for ports nobody pinned; the ports
 * used are returned.
 * @param {{ dataDir: string, pgPort: number, redisPort: number, movablePorts?: boolean, pgSettings?: Record<string, string>, log?: (msg: string) => void }} opts
 * @returns {Promise<{ databaseUrl: string, redisUrl: string, pgPort: number, redisPort: number, pgBinDir: string, stop: () => Promise<void> }>}
 */
export async function startServices({
  dataDir,
  pgPort,
  redisPort,
  movablePorts = false,
  pgSettings = {},
  log = console.log,
}) {
  if (!dataDir || !pgPort || !redisPort) throw new Error('startServices needs dataDir, pgPort and redisPort');
  if ([5432, 6379].includes(Number(pgPort)) || [5432, 6379].includes(Number(redisPort))) {
    throw new Error('Refusing to use the default ports 5432/6379 (they belong to system services)');
  }
  dataDir = path.resolve(dataDir);
  pgPort = Number(pgPort);
  redisPort = Number(redisPort);
  fs.mkdirSync(dataDir, { recursive: true });

  let pg = null;
  let redis = null;
  let stopping = null;
  const stop = () => {
    stopping ??= Promise.all([pg && stopPostgres(pg, log), redis && stopRedis(redis, log)]).then(() => {});
    return stopping;
  };

  try {
    // Sequential: an apt-get install for one must not run alongside the other's.
    pg = await withMovablePort(pgPort, movablePorts, log, (port) =>
      startPostgres({ dataDir, pgPort: port, log, settings: pgSettings }),
    );
    pgPort = pg.port;
    if (await ensureDatabase(pg)) log(`Created database "hookrelay"`);
    redis = await withMovablePort(redisPort, movablePorts, log, (port) =>
      startRedis({ dataDir, redisPort: port, log }),
    );
    redisPort = redis.port;
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  return {
    databaseUrl: databaseUrl(pgPort),
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    pgPort,
    redisPort,
    pgBinDir: pg.binDir,
    stop,
  };
}

const PORT_TRIES = 10;

/** start(port); while another process holds the port and the port may move, start(port + 100). */
export async function withMovablePort(port, movable, log, start) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port);
    } catch (err) {
      if (!(err instanceof PortInUseError) || !movable || attempt >= PORT_TRIES) throw err;
      log(`${err.message}; trying port ${port + 100}`);
      port += 100;
    }
  }
}

/**
 * A clean slate: drops and recreates the database's public schema (psql, or Prisma's CLI when psql is not
 * installed, e.g. with TEST_DATABASE_URL pointing elsewhere) and flushes Redis.
 */
export async function resetState({ databaseUrl: url, redisUrl, pgBinDir, root }) {
  const resetSql = 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;';
  const binDir = pgBinDir ?? findPgBinDir();
  const psql = binDir ? path.join(binDir, 'psql') : which('psql');
  const r = psql
    ? await run(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', resetSql], {
        env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGOPTIONS: '-c client_min_messages=warning' },
      })
    : await run(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'db', 'execute', '--stdin'], {
        env: { ...process.env, DATABASE_URL: url },
        input: resetSql,
      });
  if (r.code !== 0) throw new Error(`could not reset the database schema: ${r.output.trim()}`);
  if (psql) {
    // The per-test-file copies of an earlier run (libs/testing/src/test-database.ts).
    const dropCopies =
      "SELECT format('DROP DATABASE %I WITH (FORCE)', datname) FROM pg_database WHERE datname LIKE 't\\_%' \\gexec";
    const d = await run(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGOPTIONS: '-c client_min_messages=warning' },
      input: dropCopies,
    });
    if (d.code !== 0) throw new Error(`could not drop earlier test databases: ${d.output.trim()}`);
  }
  await flushRedis(redisUrl);
}

/** prisma generate, then prisma migrate deploy against `url`; throws naming the step that failed. */
export async function migrate({ root, databaseUrl: url, inherit = true, onSpawn }) {
  const env = { ...process.env, DATABASE_URL: url };
  for (const args of [['generate'], ['migrate', 'deploy']]) {
    const r = await run(process.execPath, [path.join(root, 'scripts/prisma.mjs'), ...args], {
      env,
      inherit,
      onSpawn,
    });
    if (r.code !== 0)
      throw new Error(`prisma ${args.join(' ')} failed${inherit ? '' : `:\n${r.output.trim()}`}`);
  }
}
