import { createZodDto } from 'nestjs-zod';
import { listOutSchema } from '../common/pagination.dto';
import { EndpointInDto, EndpointOutDto, EndpointUpdateDto } from '../endpoints/endpoint.dto';

/**
 * Svix's operational webhook endpoint models: an endpoint's fields and rules without `version`, `channels`
 * or `headers` (set through the headers routes). `filterTypes` are operational event names, checked by
 * the endpoints service.
 */
const updateFields = {
  url: true,
  description: true,
  disabled: true,
  filterTypes: true,
  metadata: true,
  throttleRate: true,
  rateLimit: true,
  uid: true,
} as const;

export class OperationalWebhookEndpointInDto extends createZodDto(
  EndpointInDto.schema.pick({ ...updateFields, secret: true }),
) {}

export class OperationalWebhookEndpointUpdateDto extends createZodDto(
  EndpointUpdateDto.schema.pick(updateFields),
) {}

const operationalEndpointOut = EndpointOutDto.schema.omit({ version: true, channels: true });

export class OperationalWebhookEndpointOutDto extends createZodDto(operationalEndpointOut) {}

export class OperationalWebhookEndpointListOutDto extends createZodDto(
  listOutSchema(operationalEndpointOut),
) {}
