import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { listOutSchema } from '../common/pagination.dto';
import {
  endpointCommonFields,
  endpointOutSchema,
  headersSchema,
  oneFilter,
  secretSchema,
} from '../endpoints/endpoint.dto';
import type { HandlerOut } from '../common/handler-out';

/**
 * Svix's operational webhook endpoint models: an endpoint's fields and rules without `version` or `channels`.
 * The filter (`eventTypes` or `filterTypes`) names operational events, checked by the endpoints service.
 */
export class OperationalWebhookEndpointInDto extends createZodDto(
  z
    .strictObject({
      ...endpointCommonFields,
      /** Sent by svix 2.x on create; later changes go through the headers route. */
      headers: headersSchema.nullish(),
      secret: secretSchema('secret').nullish(),
    })
    .transform(oneFilter),
) {}

export class OperationalWebhookEndpointUpdateDto extends createZodDto(
  z.strictObject(endpointCommonFields).transform(oneFilter),
) {}

const operationalEndpointOut = endpointOutSchema.omit({ version: true, channels: true });

export type OperationalWebhookEndpointOut = HandlerOut<
  typeof operationalEndpointOut,
  'createdAt' | 'updatedAt'
>;

export class OperationalWebhookEndpointOutDto extends createZodDto(operationalEndpointOut) {}

export class OperationalWebhookEndpointListOutDto extends createZodDto(
  listOutSchema(operationalEndpointOut),
) {}
