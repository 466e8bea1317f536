import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startApi } from '../support/running-api';

jest.setTimeout(60_000);

const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A long-running CLI (listen, tail) whose stdout lines can be awaited one by one. */
class CliProcess {
  readonly lines: string[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<number>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    child.stderr.resume();
    this.exited = new Promise((done) => child.on('exit', (code) => done(code ?? -1)));
  }

  /** The first JSON line matching `test`, waiting for it as lines arrive. */
  async line(what: string, test: (event: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ;) {
      for (; seen < this.lines.length; seen++) {
        const event = JSON.parse(this.lines[seen]!);
        if (test(event)) return event;
      }
      if (Date.now() > deadline) throw new Error(`no CLI line for ${what}; got:\n${this.lines.join('\n')}`);
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, deadline - Date.now()).unref();
      });
    }
  }

  stop(): Promise<number> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}

/** `hookrelay` as a real process against the real API and worker. */
describe('hookrelay CLI', () => {
  const world = new DeliveryWorld();
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-cli-'));
  let env: Record<string, string>;
  const children: CliProcess[] = [];

  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<CliResult>((done) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const json = async (args: string[]) => {
    const result = await run([...args, '--json']);
    if (result.code !== 0)
      throw new Error(`hookrelay ${args.join(' ')}: ${result.code} ${result.stdout} ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const start = (args: string[]) => {
    const child = new CliProcess(spawn(process.execPath, [CLI, ...args, '--json'], { env }));
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    await world.start();
    env = {
      PATH: process.env.PATH ?? '',
      HOOKRELAY_URL: world.api.url,
      HOOKRELAY_ADMIN_TOKEN: world.config.adminToken,
      NO_COLOR: '1',
    };
  });

  afterAll(async () => {
    for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('operator commands: tenants and API keys', async () => {
    const tenant = await json(['tenants', 'create', 'CLI tenant']);
    expect(tenant).toMatchObject({ name: 'CLI tenant', apiKey: expect.stringMatching(/^hr_/) });
    expect((await json(['tenants', 'list', '--limit', '250'])).data.map((t: any) => t.id)).toContain(
      tenant.id,
    );
    expect(await json(['tenants', 'get', tenant.id])).toMatchObject({
      id: tenant.id,
      settings: { rejectUnknownEventTypes: false, retentionDays: 30 },
    });
    const key = await json(['keys', 'create', tenant.id, '--name', 'ci']);
    expect(key.key.startsWith(key.prefix)).toBe(true);
    expect((await json(['keys', 'list', tenant.id])).data.map((k: any) => k.id)).toContain(key.id);
    expect(await json(['keys', 'revoke', tenant.id, key.id])).toEqual({ revoked: key.id });
    const refused = await run(['apps', 'list', '--json'], { HOOKRELAY_API_KEY: key.key });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: 'unauthorized', status: 401 });
    env.HOOKRELAY_API_KEY = tenant.apiKey;
  });

  it('tenant commands: applications, event types, endpoints, send, verify a capture', async () => {
    const receiver = await world.receiver();
    const app = await json(['apps', 'create', 'CLI app', '--uid', 'cli-app']);
    expect(app).toMatchObject({ name: 'CLI app', uid: 'cli-app' });
    await json(['event-types', 'create', 'invoice.paid', '--description', 'Paid']);
    expect((await json(['event-types', 'list'])).data.map((t: any) => t.name)).toContain('invoice.paid');
    const endpoint = await json(['endpoints', 'create', 'cli-app', receiver.url, '--events', 'invoice.paid']);
    expect(endpoint.eventTypes).toEqual(['invoice.paid']);
    const msg = await json(['send', 'cli-app', 'invoice.paid', '{"invoice":"in_1"}']);
    expect(msg).toMatchObject({ eventType: 'invoice.paid', id: expect.stringMatching(/^msg_/) });
    const [request] = await receiver.waitForRequests(1);
    const { key: secret } = await json(['endpoints', 'secret', 'cli-app', endpoint.id]);
    expect(TestReceiver.verify(request!, secret)).toEqual({ invoice: 'in_1' });

    // The captured request checks out with `verify`; one changed byte does not.
    const headers = join(dir, 'headers.txt');
    writeFileSync(
      headers,
      [
        'POST /webhook HTTP/1.1',
        ...Object.entries(request!.headers).map(([k, v]) => `${k}: ${String(v)}`),
      ].join('\n'),
    );
    writeFileSync(join(dir, 'body.json'), request!.body);
    writeFileSync(join(dir, 'tampered.json'), request!.body.replace('in_1', 'in_2'));
    const valid = await run([
      'verify',
      '--secret',
      secret,
      '--headers',
      headers,
      '--body',
      join(dir, 'body.json'),
      '--json',
    ]);
    expect([valid.code, JSON.parse(valid.stdout)]).toEqual([
      0,
      { valid: true, id: msg.id, timestamp: expect.any(String) },
    ]);
    const tampered = await run([
      'verify',
      '--secret',
      secret,
      '--headers',
      headers,
      '--body',
      join(dir, 'tampered.json'),
      '--json',
    ]);
    expect([tampered.code, JSON.parse(tampered.stdout).reason]).toEqual([1, 'no_matching_signature']);
    const human = await run([
      'verify',
      '--secret',
      secret,
      '--headers',
      headers,
      '--body',
      join(dir, 'body.json'),
    ]);
    expect(human.stdout).toContain(`valid ${msg.id}`);

    const listed = await run(['endpoints', 'list', 'cli-app']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^id\s+url\s+eventTypes\s+disabled$/);
    expect(listed.stdout).toContain(receiver.url);
    expect(listed.stdout).not.toContain('\u001b[');
    const coloured = await run(['endpoints', 'list', 'cli-app'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(coloured.stdout).toContain('\u001b[1m');
  });

  it('tails attempts as they happen', async () => {
    const receiver = await world.receiver(() => ({ status: 202, body: 'queued' }));
    const endpoint = await json(['endpoints', 'create', 'cli-app', receiver.url]);
    const tail = start(['attempts', 'tail', 'cli-app', endpoint.id, '--interval', '100']);
    const msg = await json(['send', 'cli-app', 'invoice.paid', '{"n":2}']);
    const line = await tail.line('the new attempt', (e) => e.msgId === msg.id);
    expect(line).toMatchObject({
      statusText: 'success',
      responseStatusCode: 202,
      response: 'queued',
      eventType: 'invoice.paid',
    });
    expect(await tail.stop()).toBe(0);
  });

  it('listen: relays deliveries to a local server over a WebSocket and reports its answers', async () => {
    const local = await world.receiver(() => ({
      status: 201,
      body: 'local ok',
      headers: { 'content-type': 'text/plain' },
    }));
    const listen = start(['listen', local.url, '--app', 'cli-app', '--events', 'invoice.paid']);
    const ready = await listen.line('ready', (e) => e.type === 'ready');
    const endpoint = await json(['endpoints', 'list', 'cli-app']).then((page) =>
      page.data.find((e: any) => e.id === ready.endpointId),
    );
    expect(endpoint.url).toMatch(new RegExp(`^${world.api.url}/api/v1/relay/in/[A-Za-z0-9_-]{43}$`));
    expect(endpoint.eventTypes).toEqual(['invoice.paid']);

    // A message through the API reaches the local server, signed, with the endpoint's secret.
    const msg = await json(['send', 'cli-app', 'invoice.paid', '{"relayed":true}']);
    const [received] = await local.waitForRequests(1);
    const { key: secret } = await json(['endpoints', 'secret', 'cli-app', ready.endpointId]);
    expect(TestReceiver.verify(received!, secret)).toEqual({ relayed: true });
    expect(received!.headers['webhook-id']).toBe(msg.id);
    expect(await listen.line('the delivery', (e) => e.type === 'delivery' && e.id === msg.id)).toMatchObject({
      status: 201,
    });

    // The attempt records the local server's answer.
    const attempts = await waitFor('the attempt row', async () => {
      const rows = await world.attemptsOf(msg.id, ready.endpointId);
      return rows.length > 0 ? rows : undefined;
    });
    expect(attempts.map((a) => [a.responseStatusCode, a.response])).toEqual([[201, 'local ok']]);

    // Anyone can reach the relay URL, but an unsigned request never gets to localhost.
    const forged = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
      body: '{"forged":true}',
    });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain('signature check failed (no_matching_signature)');
    expect(local.received).toHaveLength(1);

    // Ctrl-C deletes the endpoint; the relay URL then answers 503, so deliveries would be retried.
    expect(await listen.stop()).toBe(0);
    expect(listen.lines.map((l) => JSON.parse(l)).find((e) => e.type === 'stopped')).toEqual({
      type: 'stopped',
      endpointId: ready.endpointId,
      deleted: true,
    });
    expect((await json(['endpoints', 'list', 'cli-app'])).data.map((e: any) => e.id)).not.toContain(
      ready.endpointId,
    );
    const gone = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([gone.status, (await gone.json()).code]).toEqual([503, 'relay_not_connected']);
  });

  it('listen: reports a local server that is down as a 502 attempt, and refuses a bad key', async () => {
    const listen = start(['listen', 'http://127.0.0.1:9/nothing-here', '--app', 'cli-app']);
    const ready = await listen.line('ready', (e) => e.type === 'ready');
    const msg = await json(['send', 'cli-app', 'invoice.paid', '{"down":true}']);
    const delivery = await listen.line('the failed forward', (e) => e.type === 'delivery' && e.id === msg.id);
    expect(delivery).toMatchObject({ status: 502, error: expect.stringContaining('could not reach') });
    await waitFor('the 502 attempt', async () => {
      const attempts = await world.attemptsOf(msg.id, ready.endpointId);
      return attempts.length > 0 && attempts[0]!.responseStatusCode === 502 ? true : undefined;
    });
    expect(await listen.stop()).toBe(0);

    const refused = await run(['listen', 'http://127.0.0.1:9/', '--app', 'cli-app', '--json'], {
      HOOKRELAY_API_KEY: 'hr_nope',
    });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout.trim().split('\n').pop()!)).toMatchObject({ status: 401 });
  });

  it('listen: works when the CLI is connected to another API process than the one the engine posts to', async () => {
    // Same database, Redis and PUBLIC_URL: two instances behind one address. The CLI's socket is on the second;
    // the engine posts to PUBLIC_URL (the first), which hands the request over through Redis.
    const second = await startApi(world.config);
    try {
      const local = await world.receiver(() => ({ status: 200, body: 'via the bus' }));
      const listen = start(['listen', local.url, '--app', 'cli-app', '--url', second.url]);
      const ready = await listen.line('ready', (e) => e.type === 'ready');
      const endpoint = (await json(['endpoints', 'list', 'cli-app'])).data.find(
        (e: any) => e.id === ready.endpointId,
      );
      expect(endpoint.url.startsWith(world.api.url)).toBe(true);
      const msg = await json(['send', 'cli-app', 'invoice.paid', '{"hop":2}']);
      await local.waitForRequests(1);
      const rows = await waitFor('the attempt row', async () => {
        const found = await world.attemptsOf(msg.id, ready.endpointId);
        return found.length > 0 ? found : undefined;
      });
      expect(rows.map((a) => [a.responseStatusCode, a.response])).toEqual([[200, 'via the bus']]);
      expect(await listen.stop()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('says what is missing, with exit code 2', async () => {
    const noKey = await run(['apps', 'list'], { HOOKRELAY_API_KEY: '' });
    expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('needs a tenant API key')]);
    const badUrl = await run(['listen', 'not a url', '--app', 'cli-app']);
    expect([badUrl.code, badUrl.stderr]).toEqual([2, expect.stringContaining('is not a URL')]);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).not.toBe(0);
  });
});
