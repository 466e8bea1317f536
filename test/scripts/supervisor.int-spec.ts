import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from '@app/testing';

/**
 * `npm start` keeps the API and the worker running: scripts/lib/supervisor.mjs, driven in a real Node
 * process over a fake child that crashes twice at start, then stays up until it is killed.
 */

const SUPERVISOR = pathToFileURL(resolve(__dirname, '../../scripts/lib/supervisor.mjs')).href;

const FAKE_CHILD = `
import fs from 'node:fs';
const counter = process.env.COUNTER_FILE;
const runs = Number(fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8') : 0) + 1;
fs.writeFileSync(counter, String(runs));
if (runs <= 2) process.exit(7);
process.on('SIGTERM', () => {
  fs.appendFileSync(process.env.TERM_FILE, process.pid + '\\n');
  process.exit(0);
});
fs.appendFileSync(process.env.READY_FILE, process.pid + '\\n');
setInterval(() => {}, 1000);
`;

// Prints one JSON line per event; SIGTERM stops the supervised child (twice: stop() must be idempotent).
const DRIVER = `
import { supervise } from ${JSON.stringify(SUPERVISOR)};
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
const supervised = supervise({
  name: 'fake',
  script: process.env.CHILD_SCRIPT,
  env: process.env,
  logFile: process.env.LOG_FILE,
  log: (line) => emit({ log: line }),
  onStart: (child) => emit({ started: child.pid }),
  onExit: (code, signal, { restartInMs }) => emit({ exit: { code, signal, restartInMs } }),
  backoff: { initialMs: 50, maxMs: 200, resetAfterMs: Number(process.env.RESET_AFTER_MS) },
});
process.on('SIGTERM', async () => {
  await Promise.all([supervised.stop(), supervised.stop()]);
  emit({ stopped: true });
  process.exit(0);
});
`;

interface Event {
  log?: string;
  started?: number;
  exit?: { code: number | null; signal: string | null; restartInMs: number };
  stopped?: boolean;
}

describe('supervisor (npm start restarts a crashed API or worker)', () => {
  const RESET_AFTER_MS = 2_000;
  let dir: string;
  let driver: ChildProcess;
  const events: Event[] = [];

  const started = () => events.flatMap((e) => (e.started ? [e.started] : []));
  const exits = () => events.flatMap((e) => (e.exit ? [e.exit] : []));
  const waitForStarts = (n: number) =>
    waitFor(`${n} child process(es) started`, () => started().length >= n && started()[n - 1], {
      timeoutMs: 15_000,
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    writeFileSync(join(dir, 'child.mjs'), FAKE_CHILD);
    writeFileSync(join(dir, 'term'), '');
    writeFileSync(join(dir, 'ready'), '');
    driver = spawn(process.execPath, ['--input-type=module', '-e', DRIVER], {
      env: {
        ...process.env,
        CHILD_SCRIPT: join(dir, 'child.mjs'),
        COUNTER_FILE: join(dir, 'runs'),
        TERM_FILE: join(dir, 'term'),
        READY_FILE: join(dir, 'ready'),
        LOG_FILE: join(dir, 'child.log'),
        RESET_AFTER_MS: String(RESET_AFTER_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    driver.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line) events.push(JSON.parse(line) as Event);
    });
  });

  afterAll(() => {
    if (driver.exitCode === null) driver.kill('SIGKILL');
    for (const pid of started()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a child that exits, doubling the back-off, and logs the exit code', async () => {
    await waitForStarts(3);
    expect(exits().slice(0, 2)).toEqual([
      { code: 7, signal: null, restartInMs: 50 },
      { code: 7, signal: null, restartInMs: 100 },
    ]);
    expect(events.filter((e) => e.log?.includes('stopped (exit 7)'))).toHaveLength(2);
  });

  it('restarts a child killed by a signal, the back-off capped at its maximum', async () => {
    process.kill(started()[2]!, 'SIGKILL');
    await waitForStarts(4);
    process.kill(started()[3]!, 'SIGKILL');
    await waitForStarts(5);
    expect(exits().slice(2)).toEqual([
      { code: null, signal: 'SIGKILL', restartInMs: 200 },
      { code: null, signal: 'SIGKILL', restartInMs: 200 },
    ]);
    expect(events.some((e) => e.log?.includes('stopped (signal SIGKILL)'))).toBe(true);
  });

  it('starts the back-off afresh after a run that stayed up long enough', async () => {
    const pid = started()[4]!;
    const upSince = Date.now();
    // The condition under test is the child's uptime, so this waits for time itself to pass.
    await waitFor(
      'the child to be up longer than resetAfterMs',
      () => Date.now() - upSince > RESET_AFTER_MS,
      {
        timeoutMs: RESET_AFTER_MS + 1_000,
      },
    );
    process.kill(pid, 'SIGKILL');
    await waitForStarts(6);
    expect(exits()[4]).toEqual({ code: null, signal: 'SIGKILL', restartInMs: 50 });
  });

  it('stops the child once on SIGTERM and restarts nothing after that', async () => {
    const last = started()[5]!;
    await waitFor('the last child to handle SIGTERM', () =>
      readFileSync(join(dir, 'ready'), 'utf8').split('\n').includes(String(last)),
    );
    const exited = new Promise<number | null>((done) => driver.once('exit', (code) => done(code)));
    driver.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readFileSync(join(dir, 'term'), 'utf8')).toBe(`${last}\n`);
    expect(started()).toHaveLength(6);
    expect(() => process.kill(last, 0)).toThrow();
  });
});
