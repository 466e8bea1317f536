import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';
import { servers } from './support/servers';

/** How long PostgreSQL stays down: the fault itself, not a wait for an outcome. */
const OUTAGE_MS = 4_000;

/**
 * Scenario 4: PostgreSQL stops for a few seconds under load. While it is down the API cannot commit, so it
 * must refuse with 503 and Retry-After (never a 2xx for something it did not commit, never a 500 or a hung
 * request); once it is back, everything accepted is delivered, with no process restarted.
 */
it('PostgreSQL stopped under load: 503 with Retry-After while down, everything accepted delivered after', async () => {
  const world = await ChaosWorld.create('4 PostgreSQL stopped under load');
  try {
    await world.startApi();
    await world.startWorker();
    await world.setup([
      { key: 'all', behaviour: answer.ok() },
      { key: 'only-a', filterTypes: ['chaos.a'], behaviour: answer.ok() },
    ]);

    const load = world.load({ count: 240, ratePerSecond: 40, concurrency: 16, timeoutMs: 10_000 });
    await load.waitForAccepted(50);
    await servers.stopPostgres();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await servers.startPostgres();
    await load.done;

    const accepted = load.accepted();
    const unanswered = await world.committedWithout2xx(accepted);
    const pairs = world.pairs([...accepted, ...unanswered]);
    const missing = await world.awaitDelivery(pairs, 90_000);
    const figures = await world.figures(load, pairs, missing);

    const refused = load.refused();
    const wrong = refused.filter((r) => r.status !== 503 || !r.retryAfter);
    const byStatus: Record<string, number> = {};
    for (const r of wrong) {
      const key =
        r.status === 0 ? 'no answer' : r.status === 503 ? '503 without Retry-After' : String(r.status);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
    }
    if (wrong.length > 0) {
      const detail = Object.entries(byStatus)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ');
      figures.failures.push(
        `${wrong.length} of ${refused.length} refusals were not 503 with Retry-After (${detail})`,
      );
    }
    for (const p of world.processes.filter((x) => !x.alive)) {
      figures.failures.push(`${p.name} died during the PostgreSQL outage (log: ${p.logFile})`);
    }
    world.record({
      ...figures,
      notes: {
        refused: refused.length,
        committedWithout2xx: unanswered.length,
        refusalsByStatus: byStatus,
        slowestRefusalMs: Math.max(0, ...refused.map((r) => r.latencyMs)),
        sampleRefusal: wrong[0]?.error,
      },
    });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
