import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { ValidationError, ValidationIssue } from '@app/domain';

type SchemaCarrier = { schema?: z.ZodType };

const LOCATION: Record<ArgumentMetadata['type'], string> = {
  body: 'body',
  query: 'query',
  param: 'path',
  custom: 'custom',
};

/**
 * Validates every DTO made with `createZodDto` and reports failures in Svix's shape:
 * 422 `{code, detail: [{loc: ['body', 'name'], msg, type}]}`. Body schemas are strict: a field the server
 * neither implements nor knowingly ignores (see ignored-fields.ts) is a 422 `unknown_field` naming it, never
 * a silent drop, so that an SDK renaming a field fails loudly.
 */
@Injectable()
export class ZodValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const schema = (metadata.metatype as SchemaCarrier | undefined)?.schema;
    if (!schema) return value;
    const result = schema.safeParse(value ?? (metadata.type === 'body' ? undefined : {}));
    if (result.success) return result.data;
    const location = LOCATION[metadata.type];
    const issues = result.error.issues.flatMap((issue) => toIssues(location, issue, value));
    const onlyUnknown = issues.every((issue) => issue.type === UNKNOWN_FIELD);
    throw new ValidationError(issues, onlyUnknown ? UNKNOWN_FIELD : undefined);
  }
}

const UNKNOWN_FIELD = 'unknown_field';

function toIssues(location: string, issue: z.core.$ZodIssue, input: unknown): ValidationIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const loc = [location, ...path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      loc: [...loc, key],
      msg: `${key} is not a field of this request: Hookrelay does not know it, so it refuses it rather than ignore it`,
      type: UNKNOWN_FIELD,
    }));
  }
  if (issue.code === 'invalid_type' && valueAt(input, path) === undefined) {
    return [{ loc, msg: `${String(loc[loc.length - 1])} is required`, type: 'missing' }];
  }
  // A refinement may name its own type (e.g. `conflicting_fields`) in its params.
  const custom = issue.code === 'custom' ? (issue.params as { type?: unknown } | undefined)?.type : undefined;
  return [{ loc, msg: issue.message, type: typeof custom === 'string' ? custom : issue.code }];
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
