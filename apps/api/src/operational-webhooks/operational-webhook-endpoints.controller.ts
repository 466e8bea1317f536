import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  EndpointHeadersInDto,
  EndpointHeadersOutDto,
  EndpointListQueryDto,
  EndpointSecretOutDto,
  EndpointSecretRotateInDto,
} from '../endpoints/endpoint.dto';
import {
  OperationalWebhookEndpointInDto,
  OperationalWebhookEndpointListOutDto,
  OperationalWebhookEndpointOutDto,
  OperationalWebhookEndpointUpdateDto,
} from './operational-webhook-endpoint.dto';
import { OperationalWebhookEndpointsService } from './operational-webhook-endpoints.service';

/**
 * The tenant's own endpoints for operational webhooks (`endpoint.disabled`, `message.attempt.*`), the routes
 * of the svix SDK's `operationalWebhookEndpoint`. `endpointId` accepts the id or the uid.
 */
@ApiTags('Operational Webhook Endpoint')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/operational-webhook/endpoint')
export class OperationalWebhookEndpointsController {
  constructor(private readonly endpoints: OperationalWebhookEndpointsService) {}

  /** Newest first unless `order=ascending`. */
  @Get()
  @ApiOkResponse({ type: OperationalWebhookEndpointListOutDto })
  list(@TenantId() tenantId: string, @Query() query: EndpointListQueryDto) {
    return this.endpoints.list(tenantId, query);
  }

  /** Without `secret`, a new one is generated (recommended). */
  @Post()
  @ApiCreatedResponse({ type: OperationalWebhookEndpointOutDto })
  create(@TenantId() tenantId: string, @Body() body: OperationalWebhookEndpointInDto) {
    return this.endpoints.create(tenantId, body);
  }

  @Get(':endpointId')
  @ApiOkResponse({ type: OperationalWebhookEndpointOutDto })
  get(@TenantId() tenantId: string, @Param('endpointId') endpointId: string) {
    return this.endpoints.get(tenantId, endpointId);
  }

  /** 200 when replaced, 201 when created. Setting `disabled: false` on a disabled endpoint resumes it. */
  @Put(':endpointId')
  @ApiOkResponse({ type: OperationalWebhookEndpointOutDto })
  async update(
    @TenantId() tenantId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: OperationalWebhookEndpointUpdateDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, endpoint } = await this.endpoints.upsert(tenantId, endpointId, body);
    void reply.status(created ? 201 : 200);
    return endpoint;
  }

  @Delete(':endpointId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@TenantId() tenantId: string, @Param('endpointId') endpointId: string) {
    await this.endpoints.delete(tenantId, endpointId);
  }

  @Get(':endpointId/secret')
  @ApiOkResponse({ type: EndpointSecretOutDto })
  getSecret(@TenantId() tenantId: string, @Param('endpointId') endpointId: string) {
    return this.endpoints.getSecret(tenantId, endpointId);
  }

  /** The replaced secret keeps signing alongside the new one for 24 h (or `gracePeriodSeconds`). */
  @Post(':endpointId/secret/rotate')
  @HttpCode(204)
  @ApiNoContentResponse()
  async rotateSecret(
    @TenantId() tenantId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointSecretRotateInDto,
  ) {
    await this.endpoints.rotateSecret(tenantId, endpointId, body);
  }

  /** Sensitive headers (authorization and the like) are listed by name in `sensitive`, never shown. */
  @Get(':endpointId/headers')
  @ApiOkResponse({ type: EndpointHeadersOutDto })
  getHeaders(@TenantId() tenantId: string, @Param('endpointId') endpointId: string) {
    return this.endpoints.getHeaders(tenantId, endpointId);
  }

  @Put(':endpointId/headers')
  @HttpCode(204)
  @ApiNoContentResponse()
  async updateHeaders(
    @TenantId() tenantId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointHeadersInDto,
  ) {
    await this.endpoints.replaceHeaders(tenantId, endpointId, body.headers);
  }
}
