import { HookrelayError } from '@app/sdk';

/** What a command prints: JSON for scripts (`--json`), or lines and tables with colours for people. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly color: boolean,
  ) {}

  paint(code: 'green' | 'red' | 'yellow' | 'dim' | 'bold' | 'cyan', text: string): string {
    if (!this.color) return text;
    const codes = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;
    return `\u001b[${codes[code]}m${text}\u001b[0m`;
  }

  /** A command's result: `data` as JSON, or `human()` for a terminal. */
  result(data: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
  }

  /** One event of a long-running command (listen, tail): a JSON line, or a human line. */
  event(data: Record<string, unknown>, human: string): void {
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  /** Progress for people, on stderr (never mixed into JSON on stdout). */
  progress(text: string): void {
    if (!this.json) process.stderr.write(`${this.paint('dim', text)}\n`);
  }

  table(rows: Record<string, unknown>[], columns: string[]): string {
    if (rows.length === 0) return this.paint('dim', '(none)');
    const cells = rows.map((row) => columns.map((c) => format(row[c])));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
    const line = (values: string[]) =>
      values
        .map((v, i) => v.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    return [this.paint('bold', line(columns)), ...cells.map(line)].join('\n');
  }

  /** Prints a failure (to stderr, or as JSON on stdout with --json) and gives the exit code. */
  failure(error: unknown): number {
    const shaped =
      error instanceof HookrelayError
        ? { error: error.code, status: error.status, detail: error.detail }
        : { error: 'failed', detail: error instanceof Error ? error.message : String(error) };
    if (this.json) process.stdout.write(`${JSON.stringify(shaped)}\n`);
    else {
      const detail = typeof shaped.detail === 'string' ? shaped.detail : JSON.stringify(shaped.detail);
      process.stderr.write(`${this.paint('red', 'error')} ${shaped.error}: ${detail}\n`);
    }
    return 1;
  }
}

function format(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
