import { Injectable } from '@nestjs/common';
import { BackgroundTaskRepository, mapPage, Page, PageQuery } from '@app/db';
import { BackgroundTaskOut, toBackgroundTaskOut } from './background-task.dto';

@Injectable()
export class BackgroundTasksService {
  constructor(private readonly tasks: BackgroundTaskRepository) {}

  async list(
    tenantId: string,
    query: PageQuery & { status?: 'running' | 'finished' | 'failed'; task?: string },
  ): Promise<Page<BackgroundTaskOut>> {
    const page = await this.tasks.list(tenantId, query, { status: query.status, task: query.task });
    return mapPage(page, toBackgroundTaskOut);
  }

  async get(tenantId: string, taskId: string): Promise<BackgroundTaskOut> {
    return toBackgroundTaskOut(await this.tasks.find(tenantId, taskId));
  }
}
