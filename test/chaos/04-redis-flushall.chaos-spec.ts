import { waitFor } from '@app/testing';
import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';
import { servers } from './support/servers';

/**
 * Scenario 3b: Redis loses everything (FLUSHALL, as a failover to an empty replica would) while retries
 * are delayed and first attempts are scheduled for later, with no process restarted. PostgreSQL still has
 * every delivery due, so every accepted message must still be delivered.
 */
it('Redis FLUSHALL with retries delayed and deliveries pending, no process restarted: nothing lost', async () => {
  // The first retry waits 10 s, so it is sitting in Redis as a delayed job when Redis is flushed.
  const world = await ChaosWorld.create('3b Redis FLUSHALL with retries pending', {
    DELIVERY_RETRY_SCHEDULE: '10s,500ms,500ms',
  });
  try {
    await world.startApi();
    await world.startWorker();
    await world.setup([
      { key: 'flaky', behaviour: answer.failFirst(500) },
      { key: 'steady-a', filterTypes: ['chaos.a'], behaviour: answer.ok() },
    ]);
    const flaky = world.endpoints.find((e) => e.key === 'flaky')!;

    // Every message fails once at `flaky`: its retry is a delayed job.
    const failing = world.load({ count: 100, ratePerSecond: 50 });
    await failing.done;
    // These are scheduled for later (deliverAt): their first attempt is a delayed job too.
    const deferred = world.load({
      count: 30,
      ratePerSecond: 50,
      extra: () => ({ deliverAt: new Date(Date.now() + 8_000).toISOString() }),
    });
    await deferred.done;
    const retrying = failing.accepted().length;
    await waitFor(
      `${retrying} deliveries to wait for their retry`,
      async () => {
        const { rows } = await world.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM deliveries
            WHERE endpoint_id = $1 AND status = 'pending' AND attempt_count >= 1`,
          [flaky.id],
        );
        return rows[0]!.n >= retrying;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    await servers.flushRedis();
    // New work after the flush still flows.
    const after = world.load({ count: 30, ratePerSecond: 50 });
    await after.done;

    const accepted = [...failing.accepted(), ...deferred.accepted(), ...after.accepted()];
    const pairs = world.pairs(accepted);
    const missing = await world.awaitDelivery(pairs, 60_000);
    const sent = failing.issued + deferred.issued + after.issued;
    const figures = await world.figures({ sent, accepted }, pairs, missing);
    for (const p of world.processes.filter((x) => !x.alive)) {
      figures.failures.push(`${p.name} died after the flush (log: ${p.logFile})`);
    }
    world.record({
      ...figures,
      notes: {
        retriesDelayedAtFlush: retrying,
        deferredAtFlush: deferred.accepted().length,
        missingByEndpoint: Object.fromEntries(
          world.endpoints.map((e) => [e.key, missing.filter((m) => m.endpoint === e.key).length]),
        ),
      },
    });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
