import { HookrelayAdmin, HookrelayClient } from '@app/sdk';
import type { Command } from 'commander';
import { cliEnvironment } from './environment';
import { Output } from './output';

export interface GlobalOptions {
  url?: string;
  key?: string;
  adminToken?: string;
  json?: boolean;
}

/** What every command needs: where the server is, its credentials, and how to print. */
export class CliContext {
  readonly output: Output;
  readonly url: string;
  private readonly key: string | undefined;
  private readonly adminToken: string | undefined;

  constructor(options: GlobalOptions) {
    const env = cliEnvironment();
    this.url = (options.url ?? env.url).replace(/\/+$/, '');
    this.key = options.key ?? env.apiKey;
    this.adminToken = options.adminToken ?? env.adminToken;
    this.output = new Output(Boolean(options.json), env.color);
  }

  static of(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>());
  }

  admin(): HookrelayAdmin {
    if (!this.adminToken)
      throw new UsageError('this command needs the operator token: --admin-token or HOOKRELAY_ADMIN_TOKEN');
    return new HookrelayAdmin({ serverUrl: this.url, token: this.adminToken });
  }

  tenant(): HookrelayClient {
    return new HookrelayClient({ serverUrl: this.url, token: this.apiKey() });
  }

  apiKey(): string {
    if (!this.key) throw new UsageError('this command needs a tenant API key: --key or HOOKRELAY_API_KEY');
    return this.key;
  }
}

/** A mistake in how the CLI was called: exit code 2, as commander's own usage errors. */
export class UsageError extends Error {}

/** Runs a command's action, turning failures into a message and an exit code. */
export function action<A extends unknown[]>(
  run: (context: CliContext, ...args: A) => Promise<void> | void,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const context = CliContext.of(command);
    try {
      await run(context, ...(args.slice(0, -1) as A));
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`hookrelay: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = context.output.failure(error);
    }
  };
}

export const list = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
