import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

/**
 * Scenario 7a: two worker processes take jobs from the same queue and race for the same deliveries. With
 * no crash, every accepted message is delivered exactly once to each matching endpoint.
 */
it('two workers racing on the same deliveries: nothing lost, nothing sent twice', async () => {
  const world = await ChaosWorld.create('7a two workers racing');
  try {
    await world.startApi();
    await world.startWorker();
    await world.startWorker();
    await world.setup([
      { key: 'all', behaviour: answer.slow(100) },
      { key: 'only-a', filterTypes: ['chaos.a'], behaviour: answer.slow(100) },
    ]);

    const load = world.load({ count: 200, ratePerSecond: 40 });
    await load.done;

    const pairs = world.pairs(load.accepted());
    const missing = await world.awaitDelivery(pairs, 60_000);
    const figures = await world.figures(load, pairs, missing);
    if (figures.duplicates > 0) {
      figures.failures.push(`${figures.duplicates} duplicate deliveries with no crash`);
    }
    world.record(figures);
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
