import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@app/config';
import { ensureTestDatabase, HttpClient, testConfig } from '@app/testing';
import { createApiApp } from '../../apps/api/src/app.factory';

export interface RunningApi {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  /** Client carrying the operator token. */
  admin: HttpClient;
  /** Client with no credentials. */
  anonymous: HttpClient;
  /** Creates a tenant through the admin API and returns a client carrying its API key. */
  newTenant(name?: string): Promise<{ id: string; apiKey: string; client: HttpClient }>;
  close(): Promise<void>;
}

/** The real API on a random loopback port, over real PostgreSQL and Redis. */
export async function startApi(
  config: AppConfig = testConfig(),
  options: Parameters<typeof createApiApp>[1] = {},
): Promise<RunningApi> {
  await ensureTestDatabase(config.databaseUrl);
  const app = await createApiApp(config, options);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (typeof address !== 'object' || address === null) throw new Error('API did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  // The port is known only now: portal links (PUBLIC_URL + /portal) must point at this API, unless the test
  // chose its own PUBLIC_URL. The config object is the one the API holds, so it sees the change.
  if (config.http.publicUrl === `http://127.0.0.1:${config.http.port}`) config.http.publicUrl = url;
  const anonymous = new HttpClient(url);
  const admin = anonymous.withToken(config.adminToken);
  let counter = 0;
  return {
    app,
    config,
    url,
    admin,
    anonymous,
    async newTenant(name = `tenant ${++counter}`) {
      const created = await admin.post('/admin/v1/tenants', { name });
      if (created.status !== 201) throw new Error(`tenant create failed: ${JSON.stringify(created.body)}`);
      return {
        id: created.body.id,
        apiKey: created.body.apiKey,
        client: anonymous.withToken(created.body.apiKey),
      };
    },
    close: () => app.close(),
  };
}
