import type { z } from 'zod';

/**
 * The one list of request fields that an svix SDK (1.x or 2.x) sends and that Hookrelay accepts without
 * acting on them as Svix would: ignored outright, or folded into the field that replaced them. Any other
 * field a body schema does not declare is a 422 `unknown_field` (see ZodValidationPipe), so nothing is
 * dropped without a trace. docs/compatibility.md shows the same list; a unit test keeps the two in step.
 */
export const IGNORED_FIELDS = {
  payloadRetentionPeriod: {
    models: ['MessageIn'],
    effect: 'ignored',
    reason:
      'per-message retention is not implemented: a payload is kept until it is expunged or its tenant is deleted',
  },
  payloadRetentionHours: {
    models: ['MessageIn'],
    effect: 'ignored',
    reason:
      'per-message retention is not implemented: a payload is kept until it is expunged or its tenant is deleted',
  },
  transformationsParams: {
    models: ['MessageIn'],
    effect: 'ignored',
    reason: 'Hookrelay has no transformations: every endpoint receives the payload as it was sent',
  },
  version: {
    models: ['EndpointIn', 'EndpointUpdate', 'EndpointPatch'],
    effect: 'stored',
    reason:
      'svix 1.x only: kept and shown back in EndpointOut, but it changes nothing in delivery (as in Svix, which deprecated it)',
  },
  rateLimit: {
    models: [
      'ApplicationIn',
      'ApplicationPatch',
      'EndpointIn',
      'EndpointUpdate',
      'EndpointPatch',
      'OperationalWebhookEndpointIn',
      'OperationalWebhookEndpointUpdate',
    ],
    effect: 'alias',
    reason: 'svix 1.x only: the older name of throttleRate, used when throttleRate is not sent',
  },
  featureFlag: {
    models: ['EventTypeIn', 'EventTypeUpdate', 'EventTypePatch'],
    effect: 'alias',
    reason: 'svix 1.x only: a one-flag featureFlags, used when featureFlags is not sent',
  },
} as const satisfies Record<
  string,
  { models: readonly string[]; effect: 'ignored' | 'stored' | 'alias'; reason: string }
>;

export type IgnoredField = keyof typeof IGNORED_FIELDS;

/** Declares a field of the list in a body schema, with its reason in the OpenAPI document. */
export function knownField<S extends z.ZodType>(name: IgnoredField, schema: S): S {
  const { effect, reason } = IGNORED_FIELDS[name];
  return schema.describe(`${effect === 'ignored' ? 'Accepted and ignored' : 'Deprecated'}: ${reason}.`);
}
