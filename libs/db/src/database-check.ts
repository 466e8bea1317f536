import { Client } from 'pg';
import { ConfigError } from '@app/config';

/** Connects once and runs `SELECT 1`, or throws a ConfigError naming DATABASE_URL. */
export async function checkDatabase(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const { host, pathname } = new URL(url);
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
    throw new ConfigError(`Cannot reach PostgreSQL at DATABASE_URL (${host}${pathname}): ${reason}.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
