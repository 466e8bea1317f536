import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import { EndpointOauthConfigInDto, EndpointOauthConfigOutDto } from './endpoint-oauth.dto';
import { EndpointOauthService } from './endpoint-oauth.service';

/**
 * OAuth2 toward the receiver, as Svix serves it: with a configuration, every attempt carries
 * `Authorization: Bearer <token>` from the receiver's token server (docs/receivers.md).
 */
@ApiTags('Endpoint')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app/:appId/endpoint/:endpointId/oauth')
export class EndpointOauthController {
  constructor(private readonly oauth: EndpointOauthService) {}

  /** The configuration without `clientSecret` and `refreshToken`; 404 when the endpoint has none. */
  @PortalAccess('ViewBase')
  @Get()
  @ApiOkResponse({ type: EndpointOauthConfigOutDto })
  get(@TenantId() tenantId: string, @Param('appId') appId: string, @Param('endpointId') endpointId: string) {
    return this.oauth.get(tenantId, appId, endpointId);
  }

  /** Sets (replaces) the configuration; its secrets are sealed at rest and never shown again. */
  @PortalAccess('ManageEndpoint')
  @Put()
  @HttpCode(204)
  @ApiNoContentResponse()
  async set(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EndpointOauthConfigInDto,
  ) {
    await this.oauth.set(tenantId, appId, endpointId, body);
  }

  @PortalAccess('ManageEndpoint')
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
  ) {
    await this.oauth.delete(tenantId, appId, endpointId);
  }
}
