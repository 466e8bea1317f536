import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/config';
import { checkDatabase } from '@app/db';
import { checkRedis } from '@app/queue';
import { createApiApp } from './app.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  await checkDatabase(config.databaseUrl);
  // Without Redis the API still accepts (messages are durable in PostgreSQL; the workers' reconciler queues
  // them later), so an unreachable Redis is a warning here, not a reason to stay down.
  await checkRedis(config.redis).catch((error: unknown) => {
    process.stderr.write(
      `hookrelay api: warning: ${error instanceof Error ? error.message : String(error)} Starting degraded.\n`,
    );
  });
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`hookrelay api: ${error.message}\n`);
  } else {
    process.stderr.write(
      `hookrelay api: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exit(1);
});
