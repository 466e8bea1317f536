import type { z } from 'zod';

/**
 * What a handler returns for an output schema: the schema's ISO date-time strings are still Dates there (the
 * JSON serialiser writes them as ISO strings), so one schema types both the OpenAPI document and the code.
 */
export type HandlerOut<S extends z.ZodType, DateKey extends keyof z.output<S>> = {
  [K in keyof z.output<S>]: K extends DateKey ? Date | Extract<z.output<S>[K], null> : z.output<S>[K];
};
