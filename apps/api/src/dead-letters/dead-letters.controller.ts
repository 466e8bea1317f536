import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TenantId, TenantOnly } from '../auth/auth.decorators';
import { BackgroundTaskOutDto } from '../background-tasks/background-task.dto';
import { DeadLetterListOutDto, DeadLetterListQueryDto, DeadLetterRedriveInDto } from './dead-letter.dto';
import { DeadLettersService } from './dead-letters.service';

/**
 * Dead letters across all applications of the tenant (a Hookrelay extension for the dashboard): deliveries
 * whose attempts are exhausted, filtered and paged newest first, and their bulk redrive.
 */
@ApiTags('Dead Letter')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/dead-letter')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOkResponse({ type: DeadLetterListOutDto })
  list(@TenantId() tenantId: string, @Query() query: DeadLetterListQueryDto) {
    return this.deadLetters.list(
      tenantId,
      {
        application: query.application,
        endpoint: query.endpoint,
        eventTypes: query.event_types,
        since: query.since,
        until: query.until,
        statusCodes: query.status_code_class,
      },
      query,
    );
  }

  /**
   * Redrives the dead letters the filters select, to their own endpoint or to `toEndpoint` (of the same
   * application), as a background task: 202 with it running; the same task while an identical submit runs;
   * 200 with a finished task of zero when nothing matches.
   */
  @Post('redrive')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: BackgroundTaskOutDto })
  @ApiOkResponse({ type: BackgroundTaskOutDto, description: 'Nothing matched: a finished task of zero.' })
  async redrive(
    @TenantId() tenantId: string,
    @Body() body: DeadLetterRedriveInDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { task } = await this.deadLetters.redrive(tenantId, {
      ...body,
      statusCodes:
        body.statusCodeClass === undefined
          ? undefined
          : body.statusCodeClass === 0
            ? { min: 0, max: 99 }
            : { min: body.statusCodeClass, max: body.statusCodeClass + 99 },
    });
    if (task.status !== 'running') reply.status(200);
    return task;
  }
}
