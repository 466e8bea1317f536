import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MessageAttempt } from '@app/sdk';
import { action, CliContext, list, UsageError } from '../context';

/** Tenant commands (an API key): applications, endpoints, event types, messages, attempts, portal links. */
export function tenantCommands(program: Command): void {
  const apps = program.command('apps').description('manage applications');
  apps
    .command('list')
    .description('list applications')
    .action(
      action(async (cli) => {
        const page = await cli.tenant().applications.list({ limit: 250 });
        cli.output.result(page, () =>
          cli.output.table(page.data as never[], ['id', 'uid', 'name', 'createdAt']),
        );
      }),
    );
  apps
    .command('create <name>')
    .description('create an application')
    .option('--uid <uid>', 'your own id for it, usable instead of its id')
    .action(
      action(async (cli, name: string, options: { uid?: string }) => {
        const app = await cli.tenant().applications.create({ name, uid: options.uid });
        cli.output.result(
          app,
          () =>
            `${cli.output.paint('green', 'created')} ${app.id}${app.uid ? ` (${app.uid})` : ''} ${app.name}`,
        );
      }),
    );
  apps
    .command('delete <app>')
    .description('delete an application (id or uid)')
    .action(
      action(async (cli, app: string) => {
        await cli.tenant().applications.delete(app);
        cli.output.result({ deleted: app }, () => `${cli.output.paint('green', 'deleted')} ${app}`);
      }),
    );

  const endpoints = program.command('endpoints').description("manage an application's endpoints");
  endpoints
    .command('list <app>')
    .description('list endpoints')
    .action(
      action(async (cli, app: string) => {
        const page = await cli.tenant().endpoints.list(app, { limit: 250 });
        cli.output.result(page, () =>
          cli.output.table(page.data as never[], ['id', 'url', 'eventTypes', 'disabled']),
        );
      }),
    );
  endpoints
    .command('create <app> <url>')
    .description('create an endpoint')
    .option('--events <types>', 'comma-separated event types it receives (default: all)')
    .option('--description <text>', 'a description')
    .action(
      action(async (cli, app: string, url: string, options: { events?: string; description?: string }) => {
        const endpoint = await cli.tenant().endpoints.create(app, {
          url,
          description: options.description,
          eventTypes: list(options.events),
        });
        cli.output.result(
          endpoint,
          () => `${cli.output.paint('green', 'created')} ${endpoint.id} ${endpoint.url}`,
        );
      }),
    );
  endpoints
    .command('delete <app> <endpoint>')
    .description('delete an endpoint')
    .action(
      action(async (cli, app: string, endpoint: string) => {
        await cli.tenant().endpoints.delete(app, endpoint);
        cli.output.result({ deleted: endpoint }, () => `${cli.output.paint('green', 'deleted')} ${endpoint}`);
      }),
    );
  endpoints
    .command('secret <app> <endpoint>')
    .description("print an endpoint's signing secret")
    .action(
      action(async (cli, app: string, endpoint: string) => {
        const secret = await cli.tenant().endpoints.secret(app, endpoint);
        cli.output.result(secret, () => secret.key);
      }),
    );

  const eventTypes = program.command('event-types').description('manage the event-type catalog');
  eventTypes
    .command('list')
    .description('list event types')
    .action(
      action(async (cli) => {
        const page = await cli.tenant().eventTypes.list({ limit: 250 });
        cli.output.result(page, () =>
          cli.output.table(page.data as never[], ['name', 'description', 'deprecated']),
        );
      }),
    );
  eventTypes
    .command('create <name>')
    .description('create an event type')
    .option('--description <text>', 'what it means', '')
    .action(
      action(async (cli, name: string, options: { description: string }) => {
        const type = await cli.tenant().eventTypes.create({ name, description: options.description });
        cli.output.result(type, () => `${cli.output.paint('green', 'created')} ${type.name}`);
      }),
    );

  program
    .command('send <app> <eventType> [payload]')
    .description('send a message: payload as JSON text, or --data @file.json')
    .option('--data <json|@file>', 'the payload, JSON text or @ and a file name')
    .option('--event-id <id>', 'your idempotency id for the event')
    .action(
      action(
        async (
          cli,
          app: string,
          eventType: string,
          payload: string | undefined,
          options: { data?: string; eventId?: string },
        ) => {
          const message = await cli.tenant().messages.create(app, {
            eventType,
            payload: parsePayload(payload ?? options.data ?? '{}'),
            eventId: options.eventId,
          });
          cli.output.result(
            message,
            () => `${cli.output.paint('green', 'sent')} ${message.id} ${message.eventType}`,
          );
        },
      ),
    );

  const attempts = program.command('attempts').description('delivery attempts');
  attempts
    .command('tail <app> <endpoint>')
    .description('print the latest attempts of an endpoint, then each new one as it happens (Ctrl-C stops)')
    .option('--history <n>', 'how many past attempts to print first', '10')
    .option('--interval <ms>', 'how often to look for new attempts', '1000')
    .action(
      action(async (cli, app: string, endpoint: string, options: { history: string; interval: string }) => {
        await tail(cli, app, endpoint, Number(options.history), Number(options.interval));
      }),
    );

  program
    .command('portal <app>')
    .description('print a consumer-portal link for an application')
    .option('--capabilities <list>', 'comma-separated capabilities (default: all)')
    .option('--expiry <seconds>', 'how long the link works, 3600 to 604800')
    .option('--session <id>', 'a session id, to revoke this link alone later')
    .action(
      action(
        async (cli, app: string, options: { capabilities?: string; expiry?: string; session?: string }) => {
          const access = await cli.tenant().portal.access(app, {
            capabilities: list(options.capabilities),
            expiry: options.expiry ? Number(options.expiry) : undefined,
            sessionId: options.session,
          });
          cli.output.result(access, () => access.url);
        },
      ),
    );
}

function parsePayload(text: string): unknown {
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source) as unknown;
  } catch {
    throw new UsageError('the payload is not JSON');
  }
}

async function tail(
  cli: CliContext,
  app: string,
  endpoint: string,
  history: number,
  intervalMs: number,
): Promise<void> {
  const client = cli.tenant();
  const seen = new Set<string>();
  const print = (attempt: MessageAttempt) => {
    seen.add(attempt.id);
    const ok = attempt.statusText === 'success';
    const code = attempt.responseStatusCode === 0 ? 'no response' : String(attempt.responseStatusCode);
    cli.output.event(
      { ...attempt, msg: undefined, eventType: attempt.msg?.eventType },
      [
        cli.output.paint('dim', attempt.timestamp),
        cli.output.paint(ok ? 'green' : 'red', attempt.statusText.padEnd(7)),
        code.padEnd(11),
        `${attempt.responseDurationMs} ms`.padStart(8),
        attempt.msg?.eventType ?? '',
        cli.output.paint('dim', attempt.msgId),
      ].join('  '),
    );
  };
  const first = await client.attempts.listByEndpoint(app, endpoint, { limit: 250, withMsg: true });
  first.data.forEach((a) => seen.add(a.id));
  first.data.slice(0, history).reverse().forEach(print);
  cli.output.progress(`following attempts of ${endpoint}; Ctrl-C stops`);
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    if (stopped) break;
    const page = await client.attempts.listByEndpoint(app, endpoint, { limit: 50, withMsg: true });
    page.data
      .filter((a) => !seen.has(a.id))
      .reverse()
      .forEach(print);
  }
}
