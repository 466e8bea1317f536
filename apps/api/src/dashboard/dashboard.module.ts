import { Module } from '@nestjs/common';
import { FilterResolver } from '../common/filter-resolver';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

@Module({ controllers: [DashboardController], providers: [DashboardService, FilterResolver] })
export class DashboardModule {}
