import { waitFor } from '@app/testing';
import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

/**
 * Scenario 1: the worker is SIGKILLed while attempts are in flight (the receiver holds each request), then
 * started again. Every accepted message reaches every matching endpoint; an attempt cut by the kill may be
 * sent twice, never more.
 */
it('worker SIGKILLed mid-delivery, then restarted: nothing lost, at most one duplicate per message', async () => {
  const world = await ChaosWorld.create('1 worker SIGKILL mid-delivery');
  try {
    await world.startApi();
    const worker = await world.startWorker();
    await world.setup([
      { key: 'all', behaviour: answer.slow(300) },
      { key: 'only-a', filterTypes: ['chaos.a'], behaviour: answer.slow(300) },
    ]);

    const load = world.load({ count: 200, ratePerSecond: 40 });
    await waitFor(
      'attempts in flight at the receiver',
      () => world.receiver.arrivals.length >= 40 && world.receiver.inFlight >= 5,
      {
        timeoutMs: 60_000,
      },
    );
    const inFlightAtKill = world.receiver.inFlight;
    await worker.signal('SIGKILL');
    await worker.start();
    await load.done;

    const pairs = world.pairs(load.accepted());
    const missing = await world.awaitDelivery(pairs, 150_000);
    const figures = await world.figures(load, pairs, missing);
    const overSent = [...world.receiver.entries()].filter(([, , t]) => t.acked > 2);
    if (overSent.length > 0) {
      figures.failures.push(
        `${overSent.length} message(s) were delivered more than twice to one endpoint after one crash`,
      );
    }
    world.record({ ...figures, notes: { inFlightAtKill, refused: load.refused().length } });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
