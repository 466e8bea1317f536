import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { TenantRepository } from './tenant.repository';
import { ApiKeyRepository } from './api-key.repository';
import { ApplicationRepository } from './application.repository';

const REPOSITORIES = [TenantRepository, ApiKeyRepository, ApplicationRepository];

@Global()
@Module({
  providers: [PrismaService, ...REPOSITORIES],
  exports: [PrismaService, ...REPOSITORIES],
})
export class DbModule {}
