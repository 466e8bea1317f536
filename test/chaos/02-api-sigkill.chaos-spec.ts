import { waitFor } from '@app/testing';
import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

/**
 * Scenario 2: the API is SIGKILLed under load, three times, and started again; black-box, some kills land between
 * a message's commit and its enqueue. Every 202 is a committed message, and every one is delivered, as is
 * every message committed without a 2xx (the reconciler queues what the dead API never enqueued).
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

    // Each kill waits for a request in flight, so that some may be cut between their commit and their
    // enqueue (the window is short: not every run hits it). A create takes a few milliseconds, so the rate
    // is high enough for requests to overlap the kill.
    const load = world.load({ count: 600, ratePerSecond: 100, concurrency: 16 });
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const target = load.accepted().length + 30;
      const reached = await waitFor(
        'accepted messages and requests in flight',
        () => load.accepted().length >= target && load.inFlight >= 1,
        {
          timeoutMs: 30_000,
          intervalMs: 5,
        },
      ).catch(() => false);
      if (!reached) break;
      await api.signal('SIGKILL');
      kills++;
      // The requests cut by the kill fail; new ones wait for the API to be back, as a client's back-off would.
      load.pause();
      await api.start();
      load.resume();
    }
    await load.done;

    const accepted = load.accepted();
    const unanswered = await world.committedWithout2xx(accepted);
    const pairs = world.pairs([...accepted, ...unanswered]);
    const missing = await world.awaitDelivery(pairs, 60_000);
    const figures = await world.figures(load, pairs, missing);
    if (kills < 3) figures.failures.push(`only ${kills} of 3 kills found requests in flight to cut`);
    world.record({
      ...figures,
      notes: {
        refused: load.refusalsByKind(),
        apiKills: kills,
        committedWithout2xx: unanswered.length,
      },
    });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
