import { waitFor } from '@app/testing';
import { ChaosWorld } from './support/chaos-world';
import { answer } from './support/ledger-receiver';

const SCHEDULE = '200ms,200ms';
const MAX_ATTEMPTS = SCHEDULE.split(',').length + 1;

/**
 * Scenario 6: receivers that answer badly: 200 with NUL bytes and invalid UTF-8 in the body, 200 with a
 * ~1 MB header block, no answer at all, 500. Each delivery must end, within a deadline, as attempt rows
 * and a final state (success, or the dead letter `fail`), and no receiver is sent more requests per
 * message than the schedule's attempts: nothing loops.
 */
it('receivers answering NUL bytes, a 1 MB header block, nothing, or 500: every delivery ends, none loops', async () => {
  const world = await ChaosWorld.create('6 hostile receivers', { DELIVERY_RETRY_SCHEDULE: SCHEDULE });
  try {
    await world.startApi();
    await world.startWorker();
    await world.setup([
      { key: 'nul-bytes', behaviour: answer.nulBody() },
      { key: 'huge-headers', behaviour: answer.hugeHeaders() },
      { key: 'hang', behaviour: answer.hang() },
      { key: 'error-500', behaviour: answer.status(500) },
    ]);

    const load = world.load({ count: 20, ratePerSecond: 20 });
    await load.done;
    const accepted = load.accepted();
    const total = world.pairs(accepted).length;
    const unfinished = async () =>
      (await world.deliveries()).filter((d) => !['success', 'fail'].includes(d.status) || d.attempts === 0);
    try {
      await waitFor(`${total} deliveries to end`, async () => (await unfinished()).length === 0, {
        timeoutMs: 45_000,
        intervalMs: 500,
      });
    } catch {
      // what is still unfinished is the finding
    }

    const failures: string[] = [];
    const left = await unfinished();
    for (const ep of world.endpoints) {
      const mine = left.filter((d) => d.endpointId === ep.id);
      if (mine.length === 0) continue;
      const states = [...new Set(mine.map((d) => `${d.status}/${d.attempts} attempt rows`))].join(', ');
      failures.push(`${ep.key}: ${mine.length} deliveries never ended after 45 s (${states})`);
    }
    for (const ep of world.endpoints) {
      const most = Math.max(0, ...accepted.map((r) => world.receiver.tally(ep.key, r.msgId!).arrivals));
      if (most > MAX_ATTEMPTS) {
        failures.push(
          `${ep.key}: a message was sent ${most} times, more than the ${MAX_ATTEMPTS} attempts allowed`,
        );
      }
    }
    // Success is possible only where the receiver answers 2xx; those must all reach it.
    const answering = world.endpoints.filter((e) => ['nul-bytes', 'huge-headers'].includes(e.key));
    const pairs = world.pairs(accepted, answering);
    const figures = await world.figures(load, pairs, world.missing(pairs));
    figures.failures.push(...failures);
    const byEndpoint = Object.fromEntries(
      world.endpoints.map((ep) => [
        ep.key,
        {
          requests: world.receiver.arrivals.filter((a) => a.endpoint === ep.key).length,
          unfinished: left.filter((d) => d.endpointId === ep.id).length,
        },
      ]),
    );
    world.record({ ...figures, notes: { byEndpoint } });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
