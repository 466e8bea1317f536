import { LogicEngine } from 'json-logic-engine';

/**
 * Payload filters (Hookrelay extension): an endpoint may carry a JSONLogic rule (https://jsonlogic.com) that a
 * message's payload must satisfy for the endpoint to receive it, on top of its event-type and channel filters.
 * Evaluated at fan-out, in the API process, against the parsed payload (ADR 0006).
 *
 * JSONLogic is data, not code: a rule is a JSON object, so it needs no parser of ours, is stored as JSON and can
 * be checked before it is stored. What it can cost is bounded here: the rule's size and depth, an allowlist of
 * operators (no `log`, no engine extensions), and no iteration (`some`/`all`/`none`) inside another, so a rule
 * walks each payload array at most once per iterating operator it names.
 */
export type PayloadFilter = Record<string, unknown>;

export const PAYLOAD_FILTER_MAX_BYTES = 4096;
export const PAYLOAD_FILTER_MAX_DEPTH = 16;
/** Operators that walk an array of the payload and run a sub-rule on each element. */
const ITERATING = new Set(['some', 'all', 'none']);
/** JSONLogic's documented operators, minus `log` (writes to the console) and the array builders (map, filter, reduce). */
const OPERATORS = new Set([
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '<',
  '<=',
  '>',
  '>=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'in',
  'cat',
  'substr',
  'merge',
  ...ITERATING,
]);
/** Path segments that reach an object's prototype rather than the payload's own data. */
const FORBIDDEN_PATH_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

export type PayloadFilterParse = { ok: true; filter: PayloadFilter } | { ok: false; reason: string };

const engine = new LogicEngine(undefined, {
  maxDepth: PAYLOAD_FILTER_MAX_DEPTH * 2,
  maxArrayLength: 100_000,
  maxStringLength: 1_000_000,
});
type Compiled = (data: unknown) => unknown;
/** Compiled rules by their JSON text: fan-out sees the same few rules on every message. */
const compiled = new Map<string, Compiled>();
const MAX_COMPILED = 5_000;

/** Checks a rule given to the API. Reasons name the problem and where it is (`at and[1]`), never the payload. */
export function parsePayloadFilter(value: unknown): PayloadFilterParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      reason: 'must be a JSONLogic rule: a JSON object with one operator, such as {"==": [...]}',
    };
  }
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > PAYLOAD_FILTER_MAX_BYTES) {
    return { ok: false, reason: `must be at most ${PAYLOAD_FILTER_MAX_BYTES} bytes of JSON (got ${size})` };
  }
  const problem = ruleProblem(value, '', 0, false);
  if (problem) return { ok: false, reason: problem };
  try {
    compile(value as PayloadFilter);
  } catch (error) {
    return { ok: false, reason: `is not a valid JSONLogic rule (${describe(error)})` };
  }
  return { ok: true, filter: value as PayloadFilter };
}

/**
 * Does the payload (the message's exact JSON text, parsed once by the caller) satisfy the rule? JSONLogic
 * truthiness decides. A rule that fails on this payload (dividing by a string, say) does not match: the
 * endpoint asked for the messages its rule accepts, and this one it did not.
 */
export function payloadMatches(filter: PayloadFilter, payload: unknown): boolean {
  try {
    // JSONLogic truthiness: an empty array is false, as in the spec.
    return Boolean(engine.truthy(compile(filter)(payload)));
  } catch {
    return false;
  }
}

function compile(filter: PayloadFilter): Compiled {
  const key = JSON.stringify(filter);
  let fn = compiled.get(key);
  if (!fn) {
    fn = engine.build(filter) as Compiled;
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, fn);
  }
  return fn;
}

function ruleProblem(node: unknown, at: string, depth: number, iterating: boolean): string | undefined {
  if (depth > PAYLOAD_FILTER_MAX_DEPTH)
    return `nests deeper than ${PAYLOAD_FILTER_MAX_DEPTH} levels${where(at)}`;
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) {
      const problem = ruleProblem(item, `${at}[${i}]`, depth + 1, iterating);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    return `has an object with ${keys.length} keys${where(at)}: a JSONLogic operation is an object with exactly one operator`;
  }
  const op = keys[0]!;
  if (!OPERATORS.has(op)) return `uses the unknown or unsupported operator "${op}"${where(at)}`;
  const args = (node as Record<string, unknown>)[op];
  if (ITERATING.has(op) && iterating) {
    return `nests "${op}" inside another some/all/none${where(at)}: iterations may not be nested`;
  }
  if (op === 'var' || op === 'missing' || op === 'missing_some') {
    const paths = (Array.isArray(args) ? args : [args]).flat().filter((a) => typeof a === 'string');
    const bad = paths.find((p) => p.split('.').some((segment) => FORBIDDEN_PATH_SEGMENTS.has(segment)));
    if (bad !== undefined) return `reads "${bad}"${where(at)}, which is not payload data`;
  }
  return ruleProblem(args, at ? `${at}.${op}` : op, depth + 1, iterating || ITERATING.has(op));
}

function where(at: string): string {
  return at ? ` at ${at}` : '';
}

function describe(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'the engine refused it';
}
