import { Module } from '@nestjs/common';
import { BackgroundTasksController } from './background-tasks.controller';
import { BackgroundTasksService } from './background-tasks.service';

@Module({ controllers: [BackgroundTasksController], providers: [BackgroundTasksService] })
export class BackgroundTasksModule {}
