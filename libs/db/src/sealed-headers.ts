import { SealContext, SecretBox } from '@app/domain';

/**
 * An endpoint's custom headers at rest (`endpoints.headers`, jsonb): the whole name → value object sealed as
 * one JSON text, stored as a JSON string. Rows written before headers were sealed hold the plain object; they
 * are read as they are and sealed by the next write or by SecretResealService. The two shapes cannot be
 * confused: a sealed value is always a JSON string, plain headers always an object.
 */
export function sealHeaders(
  box: SecretBox,
  tenantId: string,
  endpointId: string,
  headers: Record<string, string>,
): string {
  return box.seal(JSON.stringify(headers), SealContext.endpointHeaders(tenantId, endpointId));
}

export function openHeaders(
  box: SecretBox,
  tenantId: string,
  endpointId: string,
  stored: unknown,
): Record<string, string> {
  if (typeof stored === 'string') {
    return JSON.parse(box.open(stored, SealContext.endpointHeaders(tenantId, endpointId))) as Record<
      string,
      string
    >;
  }
  return stored !== null && typeof stored === 'object' ? (stored as Record<string, string>) : {};
}
