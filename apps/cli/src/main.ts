#!/usr/bin/env node
import { Command } from 'commander';
import { adminCommands } from './commands/admin';
import { listenCommand } from './commands/listen';
import { tenantCommands } from './commands/tenant';
import { verifyCommand } from './commands/verify';

/** `hookrelay`: the command-line client. See docs/cli.md. */
const program = new Command('hookrelay')
  .description('Hookrelay from the command line: tenants, keys, applications, endpoints, messages, listen')
  .version('0.1.0')
  .option('--url <url>', 'where Hookrelay runs (HOOKRELAY_URL; default http://127.0.0.1:8080)')
  .option('--key <apiKey>', 'a tenant API key (HOOKRELAY_API_KEY)')
  .option('--admin-token <token>', 'the operator token (HOOKRELAY_ADMIN_TOKEN)')
  .option('--json', 'print JSON (one document, or one line per event for listen and tail)')
  .showHelpAfterError();

adminCommands(program);
tenantCommands(program);
verifyCommand(program);
listenCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`hookrelay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
