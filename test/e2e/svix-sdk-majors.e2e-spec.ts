import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PrismaService } from '@app/db';
import { TestReceiver } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

interface ScenarioCheck {
  name: string;
  ok: boolean;
  got: unknown;
  want: unknown;
}

interface ScenarioOutput {
  error?: string;
  checks: ScenarioCheck[];
}

interface FiltersOutput extends ScenarioOutput {
  endpoints: { types: { id: string; secret: string }; channel: { id: string; secret: string } };
  messages: { nonMatching: string; typeMatch: string; channelMatch: string };
}

/** Runs a scenario of test/sdk-scenarios in its own Node.js process (svix 2.x is ESM only) without blocking this one. */
function runScenario(
  file: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '../sdk-scenarios', file)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

/**
 * The official svix SDK, both majors, against the real API and worker: 1.x (the CommonJS line our other suites
 * use) and 2.x (`svix-v2`, what `npm install svix` gives today). The same scenario runs with each; it reads
 * back through the SDK, and this spec checks at real receivers (signatures verified with standardwebhooks)
 * and in the database what was and was not delivered.
 */
describe.each([
  ['1.x', 'svix'],
  ['2.x', 'svix-v2'],
])('svix %s SDK end to end', (major, svixPackage) => {
  const world = new DeliveryWorld();

  beforeAll(async () => {
    await world.start();
  });

  afterAll(async () => {
    await world.stop();
  });

  it('filters by event type and by channel, and never delivers a message that matches no filter', async () => {
    const [typesReceiver, channelReceiver] = await Promise.all([world.receiver(), world.receiver()]);
    const tenant = await world.api.newTenant(`svix ${major}`);
    const run = await runScenario('filters.mjs', {
      SVIX_PACKAGE: svixPackage,
      HOOKRELAY_URL: world.api.url,
      HOOKRELAY_KEY: tenant.apiKey,
      RECEIVER_TYPES_URL: typesReceiver.url,
      RECEIVER_CHANNEL_URL: channelReceiver.url,
    });
    const output = lastJsonLine<FiltersOutput>(run.out);
    expect({ error: output.error, stderr: run.err }).toEqual({ error: undefined, stderr: '' });
    const { endpoints, messages } = output;

    // The matching messages arrive, signed; the non-matching one was sent before them.
    const [typeRequest] = await typesReceiver.waitForRequests(1);
    const [channelRequest] = await channelReceiver.waitForRequests(1);
    expect(TestReceiver.verify(typeRequest!, endpoints.types.secret)).toEqual({ which: 'type-match' });
    expect(TestReceiver.verify(channelRequest!, endpoints.channel.secret)).toEqual({
      which: 'channel-match',
    });
    expect(typeRequest!.headers['webhook-id']).toBe(messages.typeMatch);
    expect(channelRequest!.headers['webhook-id']).toBe(messages.channelMatch);

    // Nothing else arrived, and nothing else was ever going to: fan-out writes a delivery for every
    // destination with the message, so no delivery row means no attempt, now or later.
    expect(typesReceiver.received.map((r) => r.headers['webhook-id'])).toEqual([messages.typeMatch]);
    expect(channelReceiver.received.map((r) => r.headers['webhook-id'])).toEqual([messages.channelMatch]);
    const deliveries = await world.worker.get(PrismaService).delivery.findMany({
      where: { messageId: { in: Object.values(messages) } },
      select: { messageId: true, endpointId: true },
    });
    expect(deliveries.map((d) => `${d.messageId} -> ${d.endpointId}`).sort()).toEqual(
      [
        `${messages.typeMatch} -> ${endpoints.types.id}`,
        `${messages.channelMatch} -> ${endpoints.channel.id}`,
      ].sort(),
    );

    // What the SDK read back: each filter under the SDK's own name, and the destinations of each message.
    expect(output.checks.filter((c) => !c.ok)).toEqual([]);
    expect(output.checks).toHaveLength(7);
    expect(run.code).toBe(0);
  });

  it('creates, gets and lists messages with and without content, and expunges content', async () => {
    const tenant = await world.api.newTenant(`svix ${major} content`);
    const run = await runScenario('content.mjs', {
      SVIX_PACKAGE: svixPackage,
      HOOKRELAY_URL: world.api.url,
      HOOKRELAY_KEY: tenant.apiKey,
    });
    const output = lastJsonLine<ScenarioOutput>(run.out);
    expect({ error: output.error, stderr: run.err }).toEqual({ error: undefined, stderr: '' });
    expect(output.checks.filter((c) => !c.ok)).toEqual([]);
    expect(output.checks).toHaveLength(major === '2.x' ? 10 : 8);
    expect(run.code).toBe(0);
  });

  it('opens the consumer portal: tokens as the SDK key, capabilities, scope, expire-all and logout', async () => {
    const tenant = await world.api.newTenant(`svix ${major} portal`);
    const run = await runScenario('portal.mjs', {
      SVIX_PACKAGE: svixPackage,
      HOOKRELAY_URL: world.api.url,
      HOOKRELAY_KEY: tenant.apiKey,
    });
    const output = lastJsonLine<ScenarioOutput>(run.out);
    expect({ error: output.error, stderr: run.err }).toEqual({ error: undefined, stderr: '' });
    expect(output.checks.filter((c) => !c.ok)).toEqual([]);
    expect(output.checks).toHaveLength(10);
    expect(run.code).toBe(0);
  });

  it('sends URL credentials as Basic auth, masks the password, and keeps it through get → PUT / PATCH', async () => {
    const receiver = await world.receiver();
    const tenant = await world.api.newTenant(`svix ${major} url credentials`);
    const run = await runScenario('url-credentials.mjs', {
      SVIX_PACKAGE: svixPackage,
      HOOKRELAY_URL: world.api.url,
      HOOKRELAY_KEY: tenant.apiKey,
      RECEIVER_URL: receiver.url,
    });
    const output = lastJsonLine<ScenarioOutput & { messageId: string }>(run.out);
    expect({ error: output.error, stderr: run.err }).toEqual({ error: undefined, stderr: '' });
    expect(output.checks.filter((c) => !c.ok)).toEqual([]);
    expect(output.checks).toHaveLength(4);
    expect(run.code).toBe(0);
    const [request] = await receiver.waitForRequests(1);
    expect(request!.headers['webhook-id']).toBe(output.messageId);
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('sdk-user:p@ss').toString('base64')}`);
  });
});

function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').pop() || '{}') as T;
}
