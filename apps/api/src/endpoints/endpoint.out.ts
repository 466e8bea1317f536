import type { EndpointRecord } from '@app/db';
import type { HandlerOut } from '../common/handler-out';
import { endpointOutSchema } from './endpoint.dto';

export type EndpointOut = HandlerOut<typeof endpointOutSchema, 'createdAt' | 'updatedAt'>;

/** The stored fields every endpoint-shaped output shows (MessageEndpointOut has no metadata). */
export type EndpointShown = Omit<EndpointRecord, 'applicationId' | 'headers' | 'metadata' | 'verification'> &
  Partial<Pick<EndpointRecord, 'verification'>>;

/** EndpointOut without metadata: what attempted destinations (`msg/{id}/endpoint`) extend. */
export function toEndpointCoreOut(record: EndpointShown): Omit<EndpointOut, 'metadata'> {
  // No filter is stored as an empty list and shown as null, under both of its names.
  const filter = record.filterTypes.length > 0 ? record.filterTypes : null;
  return {
    id: record.id,
    uid: record.uid,
    url: record.url,
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

export function toEndpointOut(record: EndpointShown & { metadata: Record<string, string> }): EndpointOut {
  return { ...toEndpointCoreOut(record), metadata: record.metadata };
}
