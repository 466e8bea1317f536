import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  AttemptedDestinationsQueryDto,
  AttemptedMessagesQueryDto,
  AttemptGetQueryDto,
  AttemptListByEndpointQueryDto,
  AttemptListByMsgQueryDto,
  EndpointMessageListOutDto,
  MessageAttemptListOutDto,
  MessageAttemptOutDto,
  MessageEndpointListOutDto,
} from './attempt.dto';
import { AttemptsService } from './attempts.service';

/**
 * Svix's message-attempt routes. `appId` and `endpointId` take the id or the uid, `msgId` the id or the
 * eventId. Lists are newest first, paged by id.
 */
@ApiTags('Message Attempt')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app/:appId')
export class AttemptsController {
  constructor(private readonly attempts: AttemptsService) {}

  @PortalAccess('ViewBase')
  @Get('attempt/endpoint/:endpointId')
  @ApiOkResponse({ type: MessageAttemptListOutDto })
  listByEndpoint(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Query() query: AttemptListByEndpointQueryDto,
  ) {
    return this.attempts.listByEndpoint(tenantId, appId, endpointId, query);
  }

  @PortalAccess('ViewBase')
  @Get('attempt/msg/:msgId')
  @ApiOkResponse({ type: MessageAttemptListOutDto })
  listByMsg(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Query() query: AttemptListByMsgQueryDto,
  ) {
    return this.attempts.listByMsg(tenantId, appId, msgId, query);
  }

  @PortalAccess('ViewBase')
  @Get('msg/:msgId/attempt/:attemptId')
  @ApiOkResponse({ type: MessageAttemptOutDto })
  get(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Param('attemptId') attemptId: string,
    @Query() _query: AttemptGetQueryDto,
  ) {
    return this.attempts.get(tenantId, appId, msgId, attemptId);
  }

  /** Replaces the attempt's response body (say, a receiver echoed a secret); the attempt itself stays. */
  @Delete('msg/:msgId/attempt/:attemptId/content')
  @HttpCode(204)
  @ApiNoContentResponse()
  async expungeContent(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Param('attemptId') attemptId: string,
  ) {
    await this.attempts.expungeContent(tenantId, appId, msgId, attemptId);
  }

  /** The endpoints the message was routed to, each with its delivery's status and next attempt. */
  @PortalAccess('ViewBase')
  @Get('msg/:msgId/endpoint')
  @ApiOkResponse({ type: MessageEndpointListOutDto })
  listAttemptedDestinations(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Query() query: AttemptedDestinationsQueryDto,
  ) {
    return this.attempts.listAttemptedDestinations(tenantId, appId, msgId, query);
  }

  /** The messages routed to the endpoint, each with its delivery's status and next attempt. */
  @PortalAccess('ViewBase')
  @Get('endpoint/:endpointId/msg')
  @ApiOkResponse({ type: EndpointMessageListOutDto })
  listAttemptedMessages(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Query() query: AttemptedMessagesQueryDto,
  ) {
    return this.attempts.listAttemptedMessages(tenantId, appId, endpointId, query);
  }

  /** 202: one more attempt, trigger manual, is queued; 409 `endpoint_disabled` for a disabled endpoint. */
  @PortalAccess('CreateAttempts')
  @Post('msg/:msgId/endpoint/:endpointId/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The attempt is queued.' })
  resend(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('msgId') msgId: string,
    @Param('endpointId') endpointId: string,
  ) {
    return this.attempts.resend(tenantId, appId, msgId, endpointId);
  }
}
