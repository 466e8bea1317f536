/**
 * Every expected failure of a request or job is a DomainError with a stable snake_case code.
 * The API's global filter turns it into `{code, detail}` with `status`; nothing else builds error bodies.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

export interface ValidationIssue {
  /** Path of the offending field, starting with where it came from: `body`, `query`, `path` or `header`. */
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    /** Extra fields merged into the response body (e.g. the id of an existing object on 409). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(entity: string): DomainError {
    const snake = entity.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, '');
    return new DomainError(
      404,
      `${snake}_not_found`,
      `${entity.replace(/([a-z])([A-Z])/g, '$1 $2')} not found.`,
    );
  }

  static unauthorized(message: string): DomainError {
    return new DomainError(401, 'unauthorized', message);
  }

  static conflict(code: string, message: string, extra: Record<string, unknown> = {}): DomainError {
    return new DomainError(409, code, message, extra);
  }
}

/** 422 with Svix's HTTPValidationError shape: `detail: [{loc, msg, type}]`. */
export class ValidationError extends DomainError {
  constructor(
    readonly issues: ValidationIssue[],
    code = 'validation_error',
  ) {
    super(422, code, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'ValidationError';
  }

  static field(loc: (string | number)[], msg: string, type = 'value_error'): ValidationError {
    return new ValidationError([{ loc, msg, type }]);
  }

  /** A 422 with its own stable code (e.g. `unknown_event_type`) and the field it is about. */
  static coded(code: string, loc: (string | number)[], msg: string): ValidationError {
    return new ValidationError([{ loc, msg, type: code }], code);
  }
}
