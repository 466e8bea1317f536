import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import WebSocket, { RawData } from 'ws';
import { Endpoint, verifyWebhook, WebhookVerificationError } from '@app/sdk';
import { action, CliContext, list, UsageError } from '../context';

interface RelayMessage {
  type: 'ready' | 'request';
  url?: string;
  id?: string;
  headers?: Record<string, string>;
  body?: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * `hookrelay listen <local-url> --app <app>`: an endpoint of the application whose deliveries come down a
 * WebSocket to this process, which checks each one's signature and forwards it to the local URL; the local
 * server's answer goes back up as the attempt's response. Ctrl-C deletes the endpoint (unless --keep).
 */
export function listenCommand(program: Command): void {
  program
    .command('listen <local-url>')
    .description('forward an application’s webhooks to a local server, e.g. http://localhost:3000/webhooks')
    .requiredOption('--app <app>', 'the application (id or uid)')
    .option('--events <types>', 'comma-separated event types to receive (default: all)')
    .option(
      '--keep',
      'keep the endpoint when stopping (deliveries queue up and retry until you listen again)',
    )
    .option('--no-verify', 'forward requests even when their signature does not check out')
    .option('--timeout <ms>', 'how long the local server may take', '10000')
    .action(
      action(
        async (
          cli,
          localUrl: string,
          options: { app: string; events?: string; keep?: boolean; verify: boolean; timeout: string },
        ) => {
          try {
            new URL(localUrl);
          } catch {
            throw new UsageError(`${localUrl} is not a URL; give one like http://localhost:3000/webhooks`);
          }
          await new Listener(cli, localUrl, options).run();
        },
      ),
    );
}

class Listener {
  private readonly token = randomBytes(32).toString('base64url');
  private endpoint?: Endpoint;
  private secret?: string;
  private socket?: WebSocket;
  private stopping = false;
  private retryMs = 500;

  constructor(
    private readonly cli: CliContext,
    private readonly localUrl: string,
    private readonly options: {
      app: string;
      events?: string;
      keep?: boolean;
      verify: boolean;
      timeout: string;
    },
  ) {}

  async run(): Promise<void> {
    const client = this.cli.tenant();
    await client.applications.get(this.options.app);
    const done = new Promise<void>((resolve) => {
      const stop = () => void this.stop().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    this.connect();
    await done;
  }

  private connect(): void {
    const wsUrl = `${this.cli.url.replace(/^http/, 'ws')}/api/v1/relay`;
    this.cli.output.progress(`connecting to ${wsUrl}…`);
    const socket = new WebSocket(wsUrl, {
      headers: { authorization: `Bearer ${this.cli.apiKey()}`, 'x-relay-token': this.token },
    });
    this.socket = socket;
    socket.on(
      'message',
      (data: RawData) =>
        void this.onMessage(
          socket,
          Array.isArray(data)
            ? Buffer.concat(data).toString('utf8')
            : Buffer.from(data as ArrayBuffer).toString('utf8'),
        ),
    );
    socket.on('unexpected-response', (_request, response) => {
      const fatal = response.statusCode === 401 || response.statusCode === 400;
      this.cli.output.progress(`the server refused the connection (${response.statusCode})`);
      if (fatal) {
        process.exitCode = this.cli.output.failure(
          new Error(`relay connection refused: HTTP ${response.statusCode}`),
        );
        void this.stop().then(() => process.exit());
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.stopping) return;
      this.cli.output.progress(`connection lost; reconnecting in ${this.retryMs} ms…`);
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    });
  }

  private async onMessage(socket: WebSocket, text: string): Promise<void> {
    let message: RelayMessage;
    try {
      message = JSON.parse(text) as RelayMessage;
    } catch {
      return;
    }
    if (message.type === 'ready' && message.url) {
      this.retryMs = 500;
      await this.ready(message.url);
      return;
    }
    if (message.type === 'request' && message.id) {
      const response = await this.forward(message);
      socket.send(JSON.stringify({ type: 'response', id: message.id, ...response }));
    }
  }

  /** The first connection creates the endpoint; a reconnect keeps it (same token, same URL). */
  private async ready(relayUrl: string): Promise<void> {
    if (this.endpoint) {
      this.cli.output.progress('reconnected');
      return;
    }
    try {
      const client = this.cli.tenant();
      this.endpoint = await client.endpoints.create(this.options.app, {
        url: relayUrl,
        description: `hookrelay listen → ${this.localUrl}`,
        eventTypes: list(this.options.events),
      });
      this.secret = (await client.endpoints.secret(this.options.app, this.endpoint.id)).key;
    } catch (error) {
      process.exitCode = this.cli.output.failure(error);
      await this.stop();
      process.exit();
    }
    this.cli.output.event(
      { type: 'ready', endpointId: this.endpoint?.id, app: this.options.app, forwardTo: this.localUrl },
      `${this.cli.output.paint('green', 'ready')} forwarding webhooks of ${this.options.app} to ${this.localUrl} ` +
        `(endpoint ${this.endpoint?.id}); Ctrl-C stops`,
    );
  }

  private async forward(
    message: RelayMessage,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const headers = message.headers ?? {};
    const body = Buffer.from(message.body ?? '', 'base64');
    const id = headers['webhook-id'] ?? headers['svix-id'] ?? '?';
    const started = Date.now();
    if (this.options.verify) {
      const reason = await this.signatureProblem(headers, body);
      if (reason) {
        this.report({ id, status: 401, ms: 0, error: `signature check failed: ${reason}` });
        return text(401, `hookrelay listen refused this request: signature check failed (${reason}).`);
      }
    }
    try {
      const response = await fetch(this.localUrl, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(Number(this.options.timeout)),
      });
      const bytes = Buffer.from(await response.arrayBuffer()).subarray(0, MAX_RESPONSE_BYTES);
      this.report({ id, status: response.status, ms: Date.now() - started });
      const contentType = response.headers.get('content-type');
      return {
        status: response.status,
        headers: contentType ? { 'content-type': contentType } : {},
        body: bytes.toString('base64'),
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      this.report({
        id,
        status: 502,
        ms: Date.now() - started,
        error: `could not reach ${this.localUrl}: ${cause}`,
      });
      return text(502, `hookrelay listen could not reach ${this.localUrl}: ${cause}`);
    }
  }

  /** Why the request's signature does not check out, or undefined; the secret is fetched again once (rotation). */
  private async signatureProblem(headers: Record<string, string>, body: Buffer): Promise<string | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        verifyWebhook(this.secret ?? 'whsec_', headers, body);
        return undefined;
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        if (error.reason !== 'no_matching_signature' || attempt > 0 || !this.endpoint) return error.reason;
        this.secret = (await this.cli.tenant().endpoints.secret(this.options.app, this.endpoint.id)).key;
      }
    }
    return 'no_matching_signature';
  }

  private report(event: { id: string; status: number; ms: number; error?: string }): void {
    const ok = event.status >= 200 && event.status < 300;
    this.cli.output.event(
      { type: 'delivery', ...event },
      [
        this.cli.output.paint('dim', new Date().toISOString()),
        this.cli.output.paint(ok ? 'green' : 'red', String(event.status)),
        `${event.ms} ms`.padStart(7),
        event.id,
        event.error ? this.cli.output.paint('yellow', event.error) : '',
      ]
        .join('  ')
        .trimEnd(),
    );
  }

  private async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.socket?.close(1000, 'listen stopped');
    if (this.endpoint && !this.options.keep) {
      try {
        await this.cli.tenant().endpoints.delete(this.options.app, this.endpoint.id);
        this.cli.output.event(
          { type: 'stopped', endpointId: this.endpoint.id, deleted: true },
          `stopped; endpoint ${this.endpoint.id} deleted`,
        );
      } catch (error) {
        this.cli.output.failure(error);
      }
    } else if (this.endpoint) {
      this.cli.output.event(
        { type: 'stopped', endpointId: this.endpoint.id, deleted: false },
        `stopped; endpoint ${this.endpoint.id} kept`,
      );
    }
  }
}

function text(
  status: number,
  message: string,
): { status: number; headers: Record<string, string>; body: string } {
  return { status, headers: { 'content-type': 'text/plain' }, body: Buffer.from(message).toString('base64') };
}
