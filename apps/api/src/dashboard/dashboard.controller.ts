import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  DeliveryStatsOutDto,
  DeliveryStatsQueryDto,
  MessageSearchOutDto,
  MessageSearchQueryDto,
} from './dashboard.dto';
import { DashboardService } from './dashboard.service';

/** Hookrelay extensions for the tenant dashboard: statistics over time and search across applications. */
@ApiTags('Dashboard')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  /**
   * Attempts by outcome and response-time percentiles per interval, time to first attempt and queue lag, for
   * the tenant, one application, or one endpoint (needs `application`).
   */
  @Get('stats/delivery')
  @ApiOkResponse({ type: DeliveryStatsOutDto })
  deliveryStats(@TenantId() tenantId: string, @Query() query: DeliveryStatsQueryDto) {
    return this.dashboard.deliveryStats(tenantId, query);
  }

  /** Messages of every application, newest first, by `event_id`, `tag`, `event_types` and time. */
  @Get('search/message')
  @ApiOkResponse({ type: MessageSearchOutDto })
  searchMessages(@TenantId() tenantId: string, @Query() query: MessageSearchQueryDto) {
    return this.dashboard.searchMessages(tenantId, query);
  }
}
