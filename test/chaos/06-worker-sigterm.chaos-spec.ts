import { waitFor } from '@app/testing';
import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

/**
 * Scenario 5: the worker gets SIGTERM under load, with attempts in flight (the receiver holds each 500 ms).
 * It stops taking work, finishes or hands back what it holds, and exits; a new worker carries on. Nothing
 * is lost and, the stop being graceful, nothing is sent twice.
 */
it('worker SIGTERM under load: in-flight attempts finish, nothing lost or sent twice', async () => {
  const world = await ChaosWorld.create('5 worker SIGTERM under load');
  try {
    await world.startApi();
    const worker = await world.startWorker();
    await world.setup([
      { key: 'all', behaviour: answer.slow(500) },
      { key: 'only-a', filterTypes: ['chaos.a'], behaviour: answer.slow(500) },
    ]);

    const load = world.load({ count: 200, ratePerSecond: 40 });
    await waitFor(
      'attempts in flight at the receiver',
      () => world.receiver.arrivals.length >= 40 && world.receiver.inFlight >= 5,
      {
        timeoutMs: 60_000,
      },
    );
    const inFlightAtTerm = world.receiver.inFlight;
    const exit = await worker.signal('SIGTERM', 60_000);
    const failures: string[] = [];
    if (!exit) failures.push('the worker had not exited 60 s after SIGTERM');
    await (exit ? worker.start() : world.startWorker());
    await load.done;

    const pairs = world.pairs(load.accepted());
    const missing = await world.awaitDelivery(pairs, 120_000);
    const figures = await world.figures(load, pairs, missing);
    figures.failures.push(...failures);
    if (figures.duplicates > 0) {
      figures.failures.push(`${figures.duplicates} duplicate deliveries after a graceful stop`);
    }
    world.record({ ...figures, notes: { inFlightAtTerm, exit } });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
