import { waitFor } from '@app/testing';
import type { ChaosWorld } from './chaos-world';
import type { SendResult } from './load-generator';

/** Sends one message through the API; the scenario needs its answer as the load generator records it. */
export async function sendOne(world: ChaosWorld): Promise<SendResult> {
  const res = await world.client().post(`/api/v1/app/${world.appId}/msg`, {
    eventType: 'chaos.a',
    payload: { single: true },
  });
  if (res.status !== 202) throw new Error(`message create: ${res.status} ${JSON.stringify(res.body)}`);
  return { seq: 0, eventType: 'chaos.a', status: res.status, msgId: res.body.id, latencyMs: 0 };
}

/** The one delivery of the scenario's tenant: its status and how many attempt rows it has. */
export async function theDelivery(world: ChaosWorld): Promise<{ status: string; attempts: number }> {
  const [delivery] = await world.deliveries();
  if (!delivery) throw new Error('no delivery row');
  return delivery;
}

/**
 * Waits until the delivery has `n` attempt rows. Resolves false after the deadline: an engine that records
 * nothing for a stale attempt never gets there, and the scenario goes on.
 */
export function attemptsRecorded(world: ChaosWorld, n: number, timeoutMs: number): Promise<boolean> {
  return waitFor(`${n} attempt row(s)`, async () => (await theDelivery(world)).attempts >= n, {
    timeoutMs,
    intervalMs: 100,
  }).then(
    () => true,
    () => false,
  );
}

/** Waits (up to the deadline) until the delivery is final; resolves its status then. */
export async function finalStatus(world: ChaosWorld, timeoutMs: number): Promise<string> {
  await waitFor(
    'the delivery to end',
    async () => ['success', 'fail'].includes((await theDelivery(world)).status),
    {
      timeoutMs,
      intervalMs: 100,
    },
  ).catch(() => undefined);
  return (await theDelivery(world)).status;
}
