import type { Command } from 'commander';
import { action } from '../context';

/** Operator commands: tenants and their API keys (ADMIN_TOKEN). */
export function adminCommands(program: Command): void {
  const tenants = program.command('tenants').description('manage tenants (operator token)');
  tenants
    .command('create <name>')
    .description('create a tenant; prints its first API key, shown only once')
    .action(
      action(async (cli, name: string) => {
        const tenant = await cli.admin().tenants.create({ name });
        cli.output.result(tenant, () =>
          [
            `${cli.output.paint('green', 'created')} ${tenant.id} ${tenant.name}`,
            `API key  ${tenant.apiKey}`,
          ].join('\n'),
        );
      }),
    );
  tenants
    .command('list')
    .description('list tenants')
    .option('--limit <n>', 'how many', '50')
    .action(
      action(async (cli, options: { limit: string }) => {
        const page = await cli.admin().tenants.list({ limit: Number(options.limit) });
        cli.output.result(page, () => cli.output.table(page.data as never[], ['id', 'name', 'createdAt']));
      }),
    );
  tenants
    .command('get <tenantId>')
    .description('show a tenant and its settings')
    .action(
      action(async (cli, tenantId: string) => {
        const admin = cli.admin();
        const [tenant, settings] = await Promise.all([
          admin.tenants.get(tenantId),
          admin.tenants.settings(tenantId),
        ]);
        cli.output.result({ ...tenant, settings }, () =>
          cli.output.table(
            [{ ...tenant, ...settings }],
            ['id', 'name', 'createdAt', 'rejectUnknownEventTypes', 'retentionDays'],
          ),
        );
      }),
    );
  tenants
    .command('delete <tenantId>')
    .description('delete a tenant: its keys stop working at once and its data is purged')
    .action(
      action(async (cli, tenantId: string) => {
        await cli.admin().tenants.delete(tenantId);
        cli.output.result({ deleted: tenantId }, () => `${cli.output.paint('green', 'deleted')} ${tenantId}`);
      }),
    );

  const keys = program.command('keys').description("manage a tenant's API keys (operator token)");
  keys
    .command('create <tenantId>')
    .description('create an API key; it is shown only once')
    .option('--name <name>', 'a name to recognise it by')
    .action(
      action(async (cli, tenantId: string, options: { name?: string }) => {
        const key = await cli.admin().apiKeys.create(tenantId, { name: options.name });
        cli.output.result(
          key,
          () => `${cli.output.paint('green', 'created')} ${key.id} ${key.name}\nAPI key  ${key.key}`,
        );
      }),
    );
  keys
    .command('list <tenantId>')
    .description('list API keys (their prefixes only)')
    .action(
      action(async (cli, tenantId: string) => {
        const page = await cli.admin().apiKeys.list(tenantId, { limit: 250 });
        cli.output.result(page, () =>
          cli.output.table(page.data as never[], ['id', 'name', 'prefix', 'createdAt']),
        );
      }),
    );
  keys
    .command('revoke <tenantId> <keyId>')
    .description('revoke an API key at once')
    .action(
      action(async (cli, tenantId: string, keyId: string) => {
        await cli.admin().apiKeys.revoke(tenantId, keyId);
        cli.output.result({ revoked: keyId }, () => `${cli.output.paint('green', 'revoked')} ${keyId}`);
      }),
    );
}
