import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/config';
import { checkDatabase } from '@app/db';
import { checkRedis } from '@app/queue';
import { createApiApp } from './app.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  await Promise.all([checkDatabase(config.databaseUrl), checkRedis(config.redis.url)]);
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
