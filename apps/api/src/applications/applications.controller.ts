import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  ApplicationCreateQueryDto,
  ApplicationInDto,
  ApplicationListQueryDto,
  ApplicationOutDto,
  ApplicationPatchDto,
} from './application.dto';
import { ApplicationsService } from './applications.service';

@ApiTags('Application')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get()
  @ApiOkResponse({ description: 'A page of applications.' })
  list(@TenantId() tenantId: string, @Query() query: ApplicationListQueryDto) {
    return this.applications.list(tenantId, query);
  }

  /** 201 when created; 200 with the existing application when `get_if_exists=true` and the uid is taken. */
  @Post()
  @ApiOkResponse({ type: ApplicationOutDto })
  async create(
    @TenantId() tenantId: string,
    @Body() body: ApplicationInDto,
    @Query() query: ApplicationCreateQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, application } = await this.applications.create(
      tenantId,
      body,
      query.get_if_exists ?? false,
    );
    void reply.status(created ? 201 : 200);
    return application;
  }

  @PortalAccess('ViewBase')
  @Get(':appId')
  @ApiOkResponse({ type: ApplicationOutDto })
  get(@TenantId() tenantId: string, @Param('appId') appId: string) {
    return this.applications.get(tenantId, appId);
  }

  @Put(':appId')
  @ApiOkResponse({ type: ApplicationOutDto })
  async update(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: ApplicationInDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, application } = await this.applications.upsert(tenantId, appId, body);
    void reply.status(created ? 201 : 200);
    return application;
  }

  @Patch(':appId')
  @ApiOkResponse({ type: ApplicationOutDto })
  patch(@TenantId() tenantId: string, @Param('appId') appId: string, @Body() body: ApplicationPatchDto) {
    return this.applications.patch(tenantId, appId, body);
  }

  @Delete(':appId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(@TenantId() tenantId: string, @Param('appId') appId: string) {
    await this.applications.delete(tenantId, appId);
  }
}
