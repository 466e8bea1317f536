import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { waitFor } from '@app/testing';

export type AppKind = 'api' | 'worker';

const ROOT = resolve(__dirname, '../../..');
const READY_TIMEOUT_MS = 60_000;

/** A port nothing listens on right now (the OS picks it; it is free again once this returns). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The production build of the API or the worker as a real child process (`node dist/apps/<kind>/src/main.js`),
 * so a scenario can SIGKILL, SIGTERM, SIGSTOP and restart it. Each start logs to its own file.
 */
export class AppProcess {
  private child?: ChildProcess;
  private exit?: Promise<Exit>;
  private starts = 0;
  paused = false;

  constructor(
    readonly kind: AppKind,
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  /** The API's base URL. */
  get url(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get logFile(): string {
    return join(this.logDir, `${this.name}-${this.starts}.log`);
  }

  /** Starts the process and resolves once it is ready (the API's readiness route, the worker's health port). */
  async start(): Promise<this> {
    if (this.alive) throw new Error(`${this.name} is running already`);
    this.starts++;
    mkdirSync(this.logDir, { recursive: true });
    const out = openSync(this.logFile, 'w');
    const child = spawn(process.execPath, [join(ROOT, `dist/apps/${this.kind}/src/main.js`)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child = child;
    this.paused = false;
    this.exit = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    await waitFor(
      `${this.name} to become ready (log: ${this.logFile})`,
      async () => {
        if (!this.alive) throw new Error(`${this.name} exited while starting:\n${this.logTail()}`);
        const probe = this.kind === 'api' ? `${this.url}/api/v1/health/ready` : this.healthUrl();
        const res = await fetch(probe, { signal: AbortSignal.timeout(2_000) });
        return res.status === 200;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
    );
    return this;
  }

  /** Sends a signal and, unless it pauses or resumes, waits for the process to exit (up to `timeoutMs`). */
  async signal(signal: NodeJS.Signals, timeoutMs = 60_000): Promise<Exit | undefined> {
    if (!this.child || !this.alive) return undefined;
    this.child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      this.paused = signal === 'SIGSTOP';
      return undefined;
    }
    return this.waitForExit(timeoutMs);
  }

  /** The exit of the current process, or undefined if it is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends it at once, whatever its state (the scenario is over). */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private healthUrl(): string {
    return `http://127.0.0.1:${this.env.WORKER_HEALTH_PORT}/`;
  }
}
