import type { INestApplicationContext } from '@nestjs/common';
import { PrismaService } from '@app/db';
import { testConfig, waitFor } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';
import { startWorker } from '../../../../test/support/running-worker';

describe('tenant purge job (API -> Redis -> worker -> PostgreSQL)', () => {
  const config = testConfig();
  let api: RunningApi;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    api = await startApi(config);
    worker = await startWorker(config);
  });

  afterAll(async () => {
    await worker.close();
    await api.close();
  });

  it('removes a deleted tenant and its keys from the database', async () => {
    const tenant = await api.newTenant('purge me');
    const keeper = await api.newTenant('keep me');
    const prisma = worker.get(PrismaService);
    expect(await prisma.apiKey.count({ where: { tenantId: tenant.id } })).toBe(1);

    expect((await api.admin.delete(`/admin/v1/tenants/${tenant.id}`)).status).toBe(204);

    await waitFor(
      'the tenant row to be purged',
      async () => (await prisma.tenant.count({ where: { id: tenant.id } })) === 0,
    );
    expect(await prisma.apiKey.count({ where: { tenantId: tenant.id } })).toBe(0);
    expect(await prisma.tenant.count({ where: { id: keeper.id } })).toBe(1);
  });
});
