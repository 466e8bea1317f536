import type { INestApplicationContext } from '@nestjs/common';
import { Svix } from 'svix';
import type { AppConfig } from '@app/config';
import { PrismaService } from '@app/db';
import { testConfig, TestReceiver } from '@app/testing';
import { startApi, RunningApi } from './running-api';
import { startWorker } from './running-worker';

/** API + worker on one test config (own queue prefix, millisecond retry schedule) and local receivers. */
export class DeliveryWorld {
  api!: RunningApi;
  worker!: INestApplicationContext;
  readonly receivers: TestReceiver[] = [];

  constructor(readonly config: AppConfig = testConfig()) {}

  async start(): Promise<this> {
    this.api = await startApi(this.config);
    this.worker = await startWorker(this.config);
    return this;
  }

  async receiver(...args: Parameters<typeof TestReceiver.start>): Promise<TestReceiver> {
    const receiver = await TestReceiver.start(...args);
    this.receivers.push(receiver);
    return receiver;
  }

  /** A tenant, the svix SDK on its key, and one application. */
  async tenantWithApp(name = 'delivery tenant') {
    const tenant = await this.api.newTenant(name);
    const svix = new Svix(tenant.apiKey, { serverUrl: this.api.url, retryScheduleInMs: [] });
    const app = await svix.application.create({ name: `${name} app` });
    return { tenant, svix, app };
  }

  /** The attempt rows of one message × endpoint, oldest first (what the attempt log shows). */
  attemptsOf(msgId: string, endpointId: string) {
    return this.worker
      .get(PrismaService)
      .deliveryAttempt.findMany({ where: { messageId: msgId, endpointId }, orderBy: { id: 'asc' } });
  }

  deliveryOf(msgId: string, endpointId: string) {
    return this.worker
      .get(PrismaService)
      .delivery.findFirstOrThrow({ where: { messageId: msgId, endpointId } });
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.api?.close();
    await Promise.all(this.receivers.map((r) => r.close()));
  }
}
