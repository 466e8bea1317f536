import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { chaosEnv } from './chaos-env';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../../scripts/services.mjs');

/** Takes the chaos PostgreSQL and Redis away and brings them back, through scripts/services.mjs. */
async function services(
  action: 'start' | 'stop' | 'kill' | 'flush',
  target: 'postgres' | 'redis',
): Promise<void> {
  const { dataDir, pgPort, redisPort } = chaosEnv();
  const args = [CLI, action, target, '--data-dir', dataDir, '--pg-port', String(pgPort)];
  await run(process.execPath, [...args, '--redis-port', String(redisPort)], { timeout: 90_000 });
}

export const servers = {
  /** pg_ctl stop -m fast: connections are cut, new ones refused until startPostgres. */
  stopPostgres: () => services('stop', 'postgres'),
  startPostgres: () => services('start', 'postgres'),
  /** SIGKILL redis-server: a crash; on restart the append-only file (fsync every second) is replayed. */
  killRedis: () => services('kill', 'redis'),
  startRedis: () => services('start', 'redis'),
  flushRedis: () => services('flush', 'redis'),
};
