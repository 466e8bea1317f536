import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiTags,
  ApiCreatedResponse,
  ApiNoContentResponse,
} from '@nestjs/swagger';
import { AdminOnly } from '../auth/auth.decorators';
import { PageQueryDto } from '../common/pagination.dto';
import {
  ApiKeyCreateDto,
  ApiKeyCreatedOutDto,
  ApiKeyOutDto,
  TenantCreateDto,
  TenantCreatedOutDto,
  TenantOutDto,
  TenantSettingsOutDto,
  TenantSettingsPatchDto,
} from './tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('Admin: tenants')
@ApiBearerAuth('admin')
@AdminOnly()
@Controller('admin/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiCreatedResponse({ type: TenantCreatedOutDto })
  create(@Body() body: TenantCreateDto) {
    return this.tenants.create(body.name);
  }

  @Get()
  @ApiOkResponse({ description: 'A page of tenants: {data, iterator, prevIterator, done}.' })
  list(@Query() query: PageQueryDto) {
    return this.tenants.list(query);
  }

  @Get(':tenantId')
  @ApiOkResponse({ type: TenantOutDto })
  get(@Param('tenantId') tenantId: string) {
    return this.tenants.find(tenantId);
  }

  @Delete(':tenantId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@Param('tenantId') tenantId: string) {
    await this.tenants.delete(tenantId);
  }

  @Get(':tenantId/settings')
  @ApiOkResponse({ type: TenantSettingsOutDto })
  settings(@Param('tenantId') tenantId: string) {
    return this.tenants.settings(tenantId);
  }

  @Patch(':tenantId/settings')
  @ApiOkResponse({ type: TenantSettingsOutDto })
  updateSettings(@Param('tenantId') tenantId: string, @Body() body: TenantSettingsPatchDto) {
    return this.tenants.updateSettings(tenantId, body);
  }

  @Post(':tenantId/api-keys')
  @ApiCreatedResponse({ type: ApiKeyCreatedOutDto })
  createKey(@Param('tenantId') tenantId: string, @Body() body: ApiKeyCreateDto) {
    return this.tenants.createKey(tenantId, body.name);
  }

  @Get(':tenantId/api-keys')
  @ApiOkResponse({ type: ApiKeyOutDto, isArray: true, description: 'A page of keys (prefix only).' })
  listKeys(@Param('tenantId') tenantId: string, @Query() query: PageQueryDto) {
    return this.tenants.listKeys(tenantId, query);
  }

  @Delete(':tenantId/api-keys/:keyId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async revokeKey(@Param('tenantId') tenantId: string, @Param('keyId') keyId: string) {
    await this.tenants.revokeKey(tenantId, keyId);
  }
}
