import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { processEnvironment } from '@app/config';

/**
 * Every test file works in a database of its own, a copy of the one `npm test` migrated (CREATE DATABASE …
 * TEMPLATE). Test files run in parallel against one server, and the engine's reconciler reads the whole
 * database: in a shared one, a file's worker could re-queue, claim and try to sign another file's deliveries
 * (with another ENCRYPTION_KEY). Jest gives each test file its own module registry, so this name is per file.
 */
const FILE_DATABASE = `t_${randomBytes(6).toString('hex')}`;
const created = new Map<string, Promise<void>>();

/** The URL of this test file's database, on the server `npm test` started. */
export function testDatabaseUrl(): string {
  const base = new URL(baseUrl());
  base.pathname = `/${FILE_DATABASE}`;
  return base.toString();
}

/** Creates this test file's database from the migrated one, once; other URLs are left alone. */
export function ensureTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (name !== FILE_DATABASE) return Promise.resolve();
  let pending = created.get(name);
  if (!pending) {
    pending = createFromTemplate(name);
    created.set(name, pending);
  }
  return pending;
}

async function createFromTemplate(name: string): Promise<void> {
  const base = new URL(baseUrl());
  const template = base.pathname.slice(1);
  base.pathname = '/postgres';
  for (let attempt = 0; ; attempt++) {
    const client = new Client({ connectionString: base.toString() });
    try {
      await client.connect();
      await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      // 55006: another session is copying the template right now; wait and try again.
      if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function baseUrl(): string {
  const url = processEnvironment().DATABASE_URL;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run the tests with "npm test", which starts PostgreSQL and Redis.',
    );
  return url;
}
