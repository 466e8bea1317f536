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
 * 422 `{code, detail: [{loc: ['body', 'name'], msg, type}]}`.
 */
@Injectable()
export class ZodValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const schema = (metadata.metatype as SchemaCarrier | undefined)?.schema;
    if (!schema) return value;
    const result = schema.safeParse(value ?? (metadata.type === 'body' ? undefined : {}));
    if (result.success) return result.data;
    const location = LOCATION[metadata.type];
    throw new ValidationError(result.error.issues.map((issue) => toIssue(location, issue, value)));
  }
}

function toIssue(location: string, issue: z.core.$ZodIssue, input: unknown): ValidationIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const loc = [location, ...path];
  if (issue.code === 'invalid_type' && valueAt(input, path) === undefined) {
    return { loc, msg: `${String(loc[loc.length - 1])} is required`, type: 'missing' };
  }
  return { loc, msg: issue.message, type: issue.code };
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
