import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * `npm test` and `npm run test:chaos` start private servers on fixed ports. When a second checkout's suite
 * already holds one (CI running beside a developer's run), an unpinned port moves 100 up instead of failing
 * the run: scripts/lib/services.mjs's withMovablePort, driven with a real redis-server in a real Node process.
 */

const lib = (file: string) =>
  JSON.stringify(pathToFileURL(resolve(__dirname, '../../scripts/lib', file)).href);

const DRIVER = `
import { withMovablePort } from ${lib('services.mjs')};
import { redisCli, startRedis, stopRedis } from ${lib('redis.mjs')};
const port = Number(process.env.HELD_PORT);
const movable = process.env.MOVABLE === '1';
try {
  const redis = await withMovablePort(port, movable, () => {}, (p) =>
    startRedis({ dataDir: process.env.DATA_DIR, redisPort: p, log: () => {} }),
  );
  const pong = (await redisCli(redis.port, ['PING'])).trim();
  await stopRedis(redis, () => {});
  console.log(JSON.stringify({ port: redis.port, pong }));
} catch (err) {
  console.log(JSON.stringify({ error: err.name, message: err.message }));
}
`;

async function drive(heldPort: number, movable: boolean, dataDir: string) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', DRIVER], {
    env: { ...process.env, HELD_PORT: String(heldPort), MOVABLE: movable ? '1' : '0', DATA_DIR: dataDir },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    port?: number;
    pong?: string;
    error?: string;
    message?: string;
  };
}

describe('private servers on a port another process holds', () => {
  let held: Server;
  let heldPort: number;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'services-'));
    // A port below 65435, so that 100 up is still a port.
    for (;;) {
      held = createServer();
      await new Promise<void>((ok) => held.listen(0, '127.0.0.1', ok));
      heldPort = (held.address() as AddressInfo).port;
      if (heldPort < 65_435) break;
      await new Promise((ok) => held.close(ok));
    }
  });

  afterAll(async () => {
    await new Promise((ok) => held.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves an unpinned port 100 up and starts there', async () => {
    const result = await drive(heldPort, true, join(dir, 'movable'));
    expect(result).toEqual({ port: heldPort + 100, pong: 'PONG' });
  });

  it('fails with PortInUseError, naming the port, when the port is pinned', async () => {
    const result = await drive(heldPort, false, join(dir, 'pinned'));
    expect(result.error).toBe('PortInUseError');
    expect(result.message).toContain(`Port ${heldPort} is already in use`);
  });
});
