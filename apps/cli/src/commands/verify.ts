import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyWebhook, WebhookVerificationError } from '@app/sdk';
import { action, UsageError } from '../context';

/** `hookrelay verify`: checks a captured webhook request with the endpoint's secret, as a receiver would. */
export function verifyCommand(program: Command): void {
  program
    .command('verify')
    .description('check the signature of a captured webhook request (exit 0 valid, 1 invalid)')
    .requiredOption('--secret <secret>', "the endpoint's whsec_ secret (or a whpk_ public key)")
    .option('--headers <file>', 'the request headers: a JSON object, or "Name: value" lines')
    .option('-H, --header <name:value>', 'one header (repeatable)', collect, [])
    .requiredOption('--body <file>', 'the raw request body, exactly as received (- for standard input)')
    .option('--at <time>', 'verify as of this time (ISO 8601 or unix seconds), for old captures')
    .action(
      action(
        (cli, options: { secret: string; headers?: string; header: string[]; body: string; at?: string }) => {
          const headers = {
            ...(options.headers ? readHeaders(options.headers) : {}),
            ...parseLines(options.header),
          };
          const body = readFileSync(options.body === '-' ? 0 : options.body);
          const now = options.at === undefined ? undefined : parseTime(options.at);
          try {
            const verified = verifyWebhook(options.secret, headers, body, { now });
            cli.output.result(
              { valid: true, id: verified.id, timestamp: verified.timestamp.toISOString() },
              () =>
                `${cli.output.paint('green', 'valid')} ${verified.id} signed ${verified.timestamp.toISOString()}`,
            );
          } catch (error) {
            if (!(error instanceof WebhookVerificationError)) throw error;
            cli.output.result(
              { valid: false, reason: error.reason, detail: error.message },
              () => `${cli.output.paint('red', 'invalid')} ${error.reason}: ${error.message}`,
            );
            process.exitCode = 1;
          }
        },
      ),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readHeaders(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      throw new UsageError(`${file} is neither a JSON object nor "Name: value" lines`);
    }
  }
  return parseLines(text.split(/\r?\n/));
}

/** "Name: value" lines (a request line or blank lines are skipped). */
function parseLines(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[A-Z]+ \S+ HTTP\//.test(line)) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function parseTime(text: string): Date {
  const date = /^\d+$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError('--at must be an ISO 8601 time or unix seconds');
  return date;
}
