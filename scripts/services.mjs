// Starts, stops or crashes the private PostgreSQL and Redis of a data dir, the way `npm test`, `npm start`
// and `npm run test:chaos` run them. The chaos suite uses it to take the servers away under load; it is also
// the way to stop servers a killed run left behind.
//
//   node scripts/services.mjs <start|stop> <postgres|redis|all> --data-dir .data/chaos --pg-port 54332 --redis-port 63792
//   node scripts/services.mjs kill redis …    SIGKILL (a crash: AOF loses up to its last second)
//   node scripts/services.mjs flush redis …   FLUSHALL
//
// Plain Node.js, node: built-ins only.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDatabase, postgresHandle, startPostgres, stopPostgres } from './lib/postgres.mjs';
import { flushRedis, killRedis, redisFiles, startRedis, stopRedis } from './lib/redis.mjs';

const USAGE =
  'usage: node scripts/services.mjs <start|stop|kill|flush> <postgres|redis|all> --data-dir DIR [--pg-port N] [--redis-port N]';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    'pg-port': { type: 'string' },
    'redis-port': { type: 'string' },
  },
});
const [action, which] = positionals;
const dataDir = values['data-dir'] && path.resolve(values['data-dir']);
const pgPort = Number(values['pg-port']);
const redisPort = Number(values['redis-port']);
const log = (msg) => console.error(`[services] ${msg}`);

function need(ok, what) {
  if (!ok) throw new Error(`${what} is required here\n${USAGE}`);
}

const actions = {
  postgres: {
    async start() {
      need(pgPort, '--pg-port');
      await ensureDatabase(await startPostgres({ dataDir, pgPort, log }));
    },
    async stop() {
      need(pgPort, '--pg-port');
      await stopPostgres(postgresHandle({ dataDir, pgPort }), log);
    },
  },
  redis: {
    async start() {
      need(redisPort, '--redis-port');
      await startRedis({ dataDir, redisPort, log });
    },
    async stop() {
      need(redisPort, '--redis-port');
      await stopRedis({ ...redisFiles(dataDir), port: redisPort }, log);
    },
    async kill() {
      need(redisPort, '--redis-port');
      await killRedis({ dataDir, redisPort });
    },
    async flush() {
      need(redisPort, '--redis-port');
      await flushRedis(`redis://127.0.0.1:${redisPort}`);
    },
  },
};

try {
  need(dataDir, '--data-dir');
  const targets = which === 'all' ? ['postgres', 'redis'] : [which];
  for (const target of targets) {
    const act = actions[target]?.[action];
    if (!act) throw new Error(`cannot ${action} ${which}\n${USAGE}`);
    await act();
  }
} catch (err) {
  console.error(`[services] ${err.message}`);
  process.exit(1);
}
