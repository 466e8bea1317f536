import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { TenantRepository } from '@app/db';

/** Removes what a deleted tenant owned. Safe to run twice: a purged tenant is simply not found. */
@Injectable()
export class TenantPurgeService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly logger: PinoLogger,
  ) {}

  async purge(tenantId: string): Promise<void> {
    const removed = await this.tenants.purge(tenantId);
    this.logger.info({ tenantId, removed }, 'tenant purge finished');
  }
}
