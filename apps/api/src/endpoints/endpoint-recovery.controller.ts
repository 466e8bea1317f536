import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PortalAccess, TenantId, TenantOnly } from '../auth/auth.decorators';
import { MessageOutDto } from '../messages/message.dto';
import { BackgroundTaskOutDto } from '../background-tasks/background-task.dto';
import {
  EndpointStatsOutDto,
  EndpointStatsQueryDto,
  EventExampleInDto,
  RecoverInDto,
  ReplayInDto,
} from './endpoint-recovery.dto';
import { EndpointRecoveryService } from './endpoint-recovery.service';

/**
 * Svix's endpoint recovery routes. `appId` and `endpointId` take the id or the uid. Manual sending to a
 * disabled endpoint is refused with 409 `endpoint_disabled`.
 */
@ApiTags('Endpoint')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/app/:appId/endpoint/:endpointId')
export class EndpointRecoveryController {
  constructor(private readonly recovery: EndpointRecoveryService) {}

  /**
   * Re-sends every failed delivery whose message was created in [since, until); at most 14 days back. Answers a
   * running background task; the worker does the work.
   */
  @PortalAccess('CreateAttempts')
  @Post('recover')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: BackgroundTaskOutDto })
  recover(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: RecoverInDto,
  ) {
    return this.recovery.recover(tenantId, appId, endpointId, body);
  }

  /** Sends the messages of [since, until) the endpoint never got, respecting its filters. */
  @PortalAccess('CreateAttempts')
  @Post('replay-missing')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: BackgroundTaskOutDto })
  replayMissing(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: ReplayInDto,
  ) {
    return this.recovery.replayMissing(tenantId, appId, endpointId, body);
  }

  /** Deliveries created in [since, until] by status (default: the last 28 days, the longest range). */
  @PortalAccess('ViewBase')
  @Get('stats')
  @ApiOkResponse({ type: EndpointStatsOutDto })
  stats(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Query() query: EndpointStatsQueryDto,
  ) {
    return this.recovery.stats(tenantId, appId, endpointId, query);
  }

  /** Sends an example message of the event type to this endpoint only. */
  @PortalAccess('CreateAttempts')
  @Post('send-example')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: MessageOutDto })
  sendExample(
    @TenantId() tenantId: string,
    @Param('appId') appId: string,
    @Param('endpointId') endpointId: string,
    @Body() body: EventExampleInDto,
  ) {
    return this.recovery.sendExample(tenantId, appId, endpointId, body);
  }
}
