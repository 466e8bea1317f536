import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Portal, PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import type { PortalSession } from '../auth/portal-token.service';
import {
  EndpointHeadersInDto,
  EndpointHeadersOutDto,
  EndpointHeadersPatchInDto,
  EndpointInDto,
  EndpointListOutDto,
  EndpointListQueryDto,
  EndpointOutDto,
  EndpointPatchDto,
  EndpointSecretOutDto,
  EndpointSecretRotateInDto,
  EndpointUpdateDto,
} from './endpoint.dto';
import { EndpointsService } from './endpoints.service';

/** `appId` and `endpointId` accept the id or the uid, as in Svix. */
@ApiTags('Endpoint')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app/:appId/endpoint')
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  /** Newest first unless `order=ascending`. */
  @PortalAccess('ViewBase')
  @Get()
  @ApiOkResponse({ type: EndpointListOutDto })
  list(@TenantId() tenantId: string, @Param('appId') appId: string, @Query() query: EndpointListQueryDto) {
    return this.endpoints.list(tenantId, appId, query);
  }

  /** Without `secret`, a new one is generated (recommended). */
  @PortalAccess('ManageEndpoint')
  @Post()
  @ApiCreatedResponse({ type: EndpointOutDto })
  create(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: EndpointInDto,
    @Portal() portal: PortalSession | undefined,
  ) {
    return this.endpoints.create(tenantId, appId, body, portal);
  }

  @PortalAccess('ViewBase')
  @Get(':endpointId')
  @ApiOkResponse({ type: EndpointOutDto })
  get(@TenantId() tenantId: string, @Param('appId') appId: string, @Param('endpointId') endpointId: string) {
    return this.endpoints.get(tenantId, appId, endpointId);
  }

  /** 200 when replaced, 201 when created. */
  @PortalAccess('ManageEndpoint')
  @Put(':endpointId')
  @ApiOkResponse({ type: EndpointOutDto })
  async update(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointUpdateDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Portal() portal: PortalSession | undefined,
  ) {
    const { created, endpoint } = await this.endpoints.upsert(tenantId, appId, endpointId, body, portal);
    void reply.status(created ? 201 : 200);
    return endpoint;
  }

  @PortalAccess('ManageEndpoint')
  @Patch(':endpointId')
  @ApiOkResponse({ type: EndpointOutDto })
  patch(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointPatchDto,
    @Portal() portal: PortalSession | undefined,
  ) {
    return this.endpoints.patch(tenantId, appId, endpointId, body, portal);
  }

  /** Hookrelay extension: a new ownership challenge for a pending, failed or expired endpoint. */
  @PortalAccess('ManageEndpoint')
  @Post(':endpointId/verification/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: EndpointOutDto })
  resendVerification(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
  ) {
    return this.endpoints.resendVerification(tenantId, appId, endpointId);
  }

  @PortalAccess('ManageEndpoint')
  @Delete(':endpointId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
  ) {
    await this.endpoints.delete(tenantId, appId, endpointId);
  }

  @PortalAccess('ViewEndpointSecret')
  @Get(':endpointId/secret')
  @ApiOkResponse({ type: EndpointSecretOutDto })
  getSecret(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
  ) {
    return this.endpoints.getSecret(tenantId, appId, endpointId);
  }

  /** The replaced secret keeps signing alongside the new one for `gracePeriodSeconds` (default 24 h). */
  @PortalAccess('ManageEndpointSecret')
  @Post(':endpointId/secret/rotate')
  @HttpCode(204)
  @ApiNoContentResponse()
  async rotateSecret(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointSecretRotateInDto,
  ) {
    await this.endpoints.rotateSecret(tenantId, appId, endpointId, body);
  }

  /** Sensitive headers (authorization and the like) are listed by name in `sensitive`, never shown. */
  @PortalAccess('ViewBase')
  @Get(':endpointId/headers')
  @ApiOkResponse({ type: EndpointHeadersOutDto })
  getHeaders(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
  ) {
    return this.endpoints.getHeaders(tenantId, appId, endpointId);
  }

  @PortalAccess('ManageEndpoint')
  @Put(':endpointId/headers')
  @HttpCode(204)
  @ApiNoContentResponse()
  async updateHeaders(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointHeadersInDto,
  ) {
    await this.endpoints.replaceHeaders(tenantId, appId, endpointId, body.headers);
  }

  @PortalAccess('ManageEndpoint')
  @Patch(':endpointId/headers')
  @HttpCode(204)
  @ApiNoContentResponse()
  async patchHeaders(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointHeadersPatchInDto,
  ) {
    await this.endpoints.patchHeaders(tenantId, appId, endpointId, body);
  }
}
