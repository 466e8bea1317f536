import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Portal, PortalOnly, TenantId, TenantOnly } from './auth.decorators';
import { AppPortalAccessInDto, AppPortalAccessOutDto, ApplicationTokenExpireInDto } from './auth.dto';
import { AuthService } from './auth.service';
import type { PortalSession } from './portal-token.service';

/** Svix's authentication routes for the consumer portal. `appId` takes the application's id or uid. */
@ApiTags('Authentication')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** A consumer-portal link and its bearer token for one application. */
  @Post('app-portal-access/:appId')
  @HttpCode(200)
  @ApiOkResponse({ type: AppPortalAccessOutDto })
  appPortalAccess(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: AppPortalAccessInDto,
  ) {
    return this.auth.appPortalAccess(tenantId, appId, body);
  }

  /** svix 1.x's deprecated dashboard-access: a portal link with every capability and the default expiry. */
  @Post('dashboard-access/:appId')
  @HttpCode(200)
  @ApiOperation({ deprecated: true })
  @ApiOkResponse({ type: AppPortalAccessOutDto })
  dashboardAccess(@TenantId() tenantId: string, @Param('appId') appId: string) {
    return this.auth.appPortalAccess(tenantId, appId, {});
  }

  /** Revokes the application's portal tokens issued so far (or only those of `sessionIds`). */
  @Post('app/:appId/expire-all')
  @HttpCode(204)
  @ApiNoContentResponse()
  async expireAll(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: ApplicationTokenExpireInDto,
  ) {
    await this.auth.expireAll(tenantId, appId, body);
  }

  /** Revokes the portal token that makes the request. */
  @Post('logout')
  @HttpCode(204)
  @PortalOnly()
  @ApiNoContentResponse()
  async logout(@Portal() session: PortalSession | undefined) {
    if (!session) throw new Error('logout reached without a portal session');
    await this.auth.logout(session);
  }
}
