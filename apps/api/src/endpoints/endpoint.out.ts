import type { EndpointRecord } from '@app/db';
import { maskedUrl, splitUrlCredentials } from '@app/domain';
import type { HandlerOut } from '../common/handler-out';
import { endpointWithExtensionsOutSchema } from './endpoint.dto';

export type EndpointOut = HandlerOut<typeof endpointWithExtensionsOutSchema, 'createdAt' | 'updatedAt'>;

/** The stored fields every endpoint-shaped output shows (MessageEndpointOut has no metadata). */
export type EndpointShown = Omit<
  EndpointRecord,
  'applicationId' | 'headers' | 'metadata' | 'payloadFilter' | 'verification' | 'urlCredentials'
> &
  Partial<Pick<EndpointRecord, 'verification' | 'urlCredentials'>>;

/** EndpointOut without metadata: what attempted destinations (`msg/{id}/endpoint`) extend. */
export function toEndpointCoreOut(record: EndpointShown): Omit<EndpointOut, 'metadata' | 'payloadFilter'> {
  // No filter is stored as an empty list and shown as null, under both of its names.
  const filter = record.filterTypes.length > 0 ? record.filterTypes : null;
  return {
    id: record.id,
    uid: record.uid,
    url: shownUrl(record),
    description: record.description,
    version: record.version,
    disabled: record.disabled,
    eventTypes: filter,
    filterTypes: filter,
    channels: record.channels.length > 0 ? record.channels : null,
    throttleRate: record.throttleRate,
    rateLimit: record.throttleRate,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    // Hookrelay extension, only on endpoints that need verification.
    ...(record.verification ? { verification: record.verification } : {}),
  };
}

export function toEndpointOut(
  record: EndpointShown & Pick<EndpointRecord, 'metadata' | 'payloadFilter'>,
): EndpointOut {
  return { ...toEndpointCoreOut(record), metadata: record.metadata, payloadFilter: record.payloadFilter };
}

/**
 * The URL with its password masked (url-credentials.ts). A record read without its sealed credentials (the
 * attempted destinations of a message) shows no user info, unless its row still holds it in the URL, masked.
 */
function shownUrl(record: EndpointShown): string {
  const split = splitUrlCredentials(record.url);
  return maskedUrl(split.url, record.urlCredentials ?? split.credentials);
}
