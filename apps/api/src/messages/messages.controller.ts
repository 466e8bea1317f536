import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  MessageBulkExpungeInDto,
  MessageBulkExpungeOutDto,
  MessageContentQueryDto,
  MessageInDto,
  MessageListQueryDto,
  MessageOutDto,
} from './message.dto';
import { MessagesService } from './messages.service';

/** `appId` takes the application's id or uid, `msgId` the message's id or eventId. */
@ApiTags('Message')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app/:appId/msg')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** 202: the message and its deliveries are durable; delivery happens in the background. */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: MessageOutDto })
  create(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: MessageInDto,
    @Query() query: MessageContentQueryDto,
    @Req() request: FastifyRequest & { rawBody?: Buffer },
  ) {
    return this.messages.create(tenantId, appId, body, request.rawBody, query.with_content ?? true);
  }

  @PortalAccess('ViewBase')
  @Get()
  @ApiOkResponse({ description: 'A page of messages, newest first.' })
  list(@TenantId() tenantId: string, @Param('appId') appId: string, @Query() query: MessageListQueryDto) {
    return this.messages.list(tenantId, appId, query);
  }

  /**
   * Expunges the content of the messages named (ids or eventIds; none when `ids` is absent, as in Svix): each
   * payload becomes `{}` and the deliveries still to come are canceled. Attempts keep their records.
   */
  @Post('bulk-expunge')
  @HttpCode(200)
  @ApiOkResponse({ type: MessageBulkExpungeOutDto })
  bulkExpunge(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Body() body: MessageBulkExpungeInDto,
  ) {
    return this.messages.expunge(tenantId, appId, body.ids);
  }

  @PortalAccess('ViewBase')
  @Get(':msgId')
  @ApiOkResponse({ type: MessageOutDto })
  get(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Query() query: MessageContentQueryDto,
  ) {
    return this.messages.get(tenantId, appId, msgId, query.with_content ?? true);
  }

  /** Expunges one message's content, as `bulk-expunge` does; 404 when the message does not exist. */
  @Delete(':msgId/content')
  @HttpCode(204)
  @ApiNoContentResponse()
  async expungeContent(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
  ) {
    await this.messages.expungeOne(tenantId, appId, msgId);
  }
}
