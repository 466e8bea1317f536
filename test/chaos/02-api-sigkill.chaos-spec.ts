import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

/**
 * Scenario 2: the API is SIGKILLed under load, twice, and started again; black-box, some kills land between
 * a message's commit and its enqueue. Every 202 is a committed message, and every one is delivered (the
 * reconciler queues what the dead API committed but never enqueued).
 */
it('API SIGKILLed under load: every 202 committed and delivered', async () => {
  const world = await ChaosWorld.create('2 API SIGKILL under load');
  try {
    const api = await world.startApi();
    await world.startWorker();
    await world.setup([
      { key: 'all', behaviour: answer.ok() },
      { key: 'only-a', filterTypes: ['chaos.a'], behaviour: answer.ok() },
    ]);

    // Long enough (12 s) that the load outlives two API restarts.
    const load = world.load({ count: 300, ratePerSecond: 25, concurrency: 16 });
    let kills = 0;
    for (let round = 0; round < 2; round++) {
      const reached = await load.waitForAccepted(load.accepted().length + 40, 30_000).catch(() => false);
      if (!reached) break;
      await api.signal('SIGKILL');
      kills++;
      await api.start();
    }
    await load.done;

    const accepted = load.accepted();
    const pairs = world.pairs(accepted);
    const missing = await world.awaitDelivery(pairs, 60_000);
    const figures = world.figures(load, pairs, missing);
    const uncommitted = await world.notCommitted(accepted);
    if (uncommitted.length > 0) {
      figures.failures.push(
        `${uncommitted.length} message(s) got a 2xx but are not in PostgreSQL (${uncommitted[0]}…)`,
      );
    }
    if (kills < 2)
      figures.failures.push(`the load ended before the API could be killed twice (${kills} kills)`);
    world.record({ ...figures, notes: { refused: load.refused().length, apiKills: kills } });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
