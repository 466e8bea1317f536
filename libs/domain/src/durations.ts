/**
 * Durations in configuration accept a number with a unit: `ms`, `s`, `m`, `h` or `d` (`250ms`, `5s`, `2h`).
 * A bare number is milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** A comma-separated list of durations, e.g. the retry schedule `5s,5m,30m`. Undefined if any item is bad. */
export function parseDurationList(text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  const values = parts.map(parseDuration);
  return values.every((v): v is number => v !== undefined) ? values : undefined;
}
