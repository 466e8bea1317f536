import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';
import { FilterResolver } from '../common/filter-resolver';

@Module({ controllers: [DeadLettersController], providers: [DeadLettersService, FilterResolver] })
export class DeadLettersModule {}
