// A private PostgreSQL and Redis for development and tests, with their data under the project:
//
//   const { databaseUrl, redisUrl, stop } = await startServices({ dataDir: '.data/test', pgPort: 54330, redisPort: 63790 });
//
// Never uses the default ports. postgres.mjs and redis.mjs hold each server's lifecycle.
// Plain Node.js (node: built-ins only) so it runs before `npm install`.

import fs from 'node:fs';
import path from 'node:path';
import { databaseUrl, ensureDatabase, findPgBinDir, startPostgres, stopPostgres } from './postgres.mjs';
import { run, which } from './processes.mjs';
import { flushRedis, startRedis, stopRedis } from './redis.mjs';

/**
 * Starts (or reuses) a private PostgreSQL and Redis.
 * `pgSettings` are extra PostgreSQL server settings (e.g. the bench's shared_preload_libraries).
 * @param {{ dataDir: string, pgPort: number, redisPort: number, pgSettings?: Record<string, string>, log?: (msg: string) => void }} opts
 * @returns {Promise<{ databaseUrl: string, redisUrl: string, pgBinDir: string, stop: () => Promise<void> }>}
 */
export async function startServices({ dataDir, pgPort, redisPort, pgSettings = {}, log = console.log }) {
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
    pg = await startPostgres({ dataDir, pgPort, log, settings: pgSettings });
    if (await ensureDatabase(pg)) log(`Created database "hookrelay"`);
    redis = await startRedis({ dataDir, redisPort, log });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  return {
    databaseUrl: databaseUrl(pgPort),
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    pgBinDir: pg.binDir,
    stop,
  };
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
