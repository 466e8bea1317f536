import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantId, TenantOnly } from '../auth/auth.decorators';
import {
  BackgroundTaskListOutDto,
  BackgroundTaskListQueryDto,
  BackgroundTaskOutDto,
} from './background-task.dto';
import { BackgroundTasksService } from './background-tasks.service';

/** Svix's background-task routes: the tenant's recover, replay-missing and dead-letter redrive tasks. */
@ApiTags('Background Task')
@ApiBearerAuth('tenant')
@TenantOnly()
@Controller('api/v1/background-task')
export class BackgroundTasksController {
  constructor(private readonly tasks: BackgroundTasksService) {}

  /** Newest first by default; filter by `status` and `task`. */
  @Get()
  @ApiOkResponse({ type: BackgroundTaskListOutDto })
  list(@TenantId() tenantId: string, @Query() query: BackgroundTaskListQueryDto) {
    return this.tasks.list(tenantId, query);
  }

  /** One task with its progress (`data`). */
  @Get(':taskId')
  @ApiOkResponse({ type: BackgroundTaskOutDto })
  get(@TenantId() tenantId: string, @Param('taskId') taskId: string) {
    return this.tasks.get(tenantId, taskId);
  }
}
