import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
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
  EventTypeDeleteQueryDto,
  EventTypeInDto,
  EventTypeListOutDto,
  EventTypeListQueryDto,
  EventTypeNameParamDto,
  EventTypeOutDto,
  EventTypePatchDto,
  EventTypeUpdateDto,
} from './event-type.dto';
import { EventTypesService } from './event-types.service';

@ApiTags('Event Type')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/event-type')
export class EventTypesController {
  constructor(private readonly eventTypes: EventTypesService) {}

  /**
   * Archived event types are left out unless `include_archived=true`; schemas unless `with_content=true`. A
   * consumer-portal token sees the event types without feature flags and those flagged with one of its own.
   */
  @Get()
  @PortalAccess('ViewBase')
  @ApiOkResponse({ type: EventTypeListOutDto })
  list(
    @TenantId() tenantId: string,
    @Query() query: EventTypeListQueryDto,
    @Portal() portal: PortalSession | undefined,
  ) {
    return this.eventTypes.list(tenantId, query, {
      includeArchived: query.include_archived,
      withContent: query.with_content,
      featureFlags: portal?.featureFlags,
    });
  }

  /** Creates the event type, or un-archives an archived one of the same name with the new content. */
  @Post()
  @ApiCreatedResponse({ type: EventTypeOutDto })
  create(@TenantId() tenantId: string, @Body() body: EventTypeInDto) {
    return this.eventTypes.create(tenantId, body);
  }

  @Get(':eventTypeName')
  @PortalAccess('ViewBase')
  @ApiOkResponse({ type: EventTypeOutDto })
  get(
    @TenantId() tenantId: string,
    @Param() params: EventTypeNameParamDto,
    @Portal() portal: PortalSession | undefined,
  ) {
    return this.eventTypes.get(tenantId, params.eventTypeName, portal?.featureFlags);
  }

  /** 200 when replaced, 201 when created under this name. */
  @Put(':eventTypeName')
  @ApiOkResponse({ type: EventTypeOutDto })
  async update(
    @TenantId() tenantId: string,
    @Param() params: EventTypeNameParamDto,
    @Body() body: EventTypeUpdateDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, eventType } = await this.eventTypes.upsert(tenantId, params.eventTypeName, body);
    void reply.status(created ? 201 : 200);
    return eventType;
  }

  @Patch(':eventTypeName')
  @ApiOkResponse({ type: EventTypeOutDto })
  patch(
    @TenantId() tenantId: string,
    @Param() params: EventTypeNameParamDto,
    @Body() body: EventTypePatchDto,
  ) {
    return this.eventTypes.patch(tenantId, params.eventTypeName, body);
  }

  /** Archives; `expunge=true` deletes the event type for good. */
  @Delete(':eventTypeName')
  @HttpCode(204)
  @ApiNoContentResponse()
  async delete(
    @TenantId() tenantId: string,
    @Param() params: EventTypeNameParamDto,
    @Query() query: EventTypeDeleteQueryDto,
  ) {
    await this.eventTypes.delete(tenantId, params.eventTypeName, query.expunge ?? false);
  }
}
