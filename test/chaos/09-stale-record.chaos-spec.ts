import { ChaosWorld } from './support/chaos-world';
import { Gate } from './support/ledger-receiver';
import { attemptsRecorded, finalStatus, sendOne } from './support/single-message';

/**
 * Scenario 7b: a stale record after a re-claim. Worker 1 sends the attempt and freezes (SIGSTOP, as a long
 * GC pause or a paused VM would) while the receiver holds the request; its claim expires and worker 2
 * re-claims the delivery and sends again. Worker 1 then wakes up to a failure (its late answer, or its own
 * timeout) and records it before worker 2 records the receiver's 204. The late result must not overwrite
 * the newer claim: the delivery ends `success` with the two requests, and no third one is sent.
 */
it('a late first response after a re-claim does not overwrite the newer result', async () => {
  const world = await ChaosWorld.create('7b stale record after a re-claim');
  const failures: string[] = [];
  try {
    await world.startApi();
    const first = await world.startWorker();
    const gate = new Gate(2);
    await world.setup([{ key: 'gate', behaviour: gate.behaviour }]);

    const message = await sendOne(world);
    if (!(await gate.waitForHeld(1, 30_000))) throw new Error('the first attempt never arrived');
    await first.signal('SIGSTOP');
    await world.startWorker();
    const reclaimed = await gate.waitForHeld(2, 120_000);
    if (!reclaimed)
      failures.push('no other worker re-claimed the delivery within 120 s of its worker freezing');

    gate.release(0, { status: 500, body: 'late answer to the first attempt' });
    await first.signal('SIGCONT');
    await attemptsRecorded(world, 1, 10_000);
    gate.release(1, { status: 204 });
    const status = await finalStatus(world, 30_000);

    const requests = world.receiver.tally('gate', message.msgId!).arrivals;
    if (status !== 'success')
      failures.push(`the delivery ended "${status}" although the newer attempt succeeded`);
    if (requests > 2) {
      failures.push(
        `the stale result overwrote the re-claim: the receiver got ${requests} requests for one message, not 2`,
      );
    }
    const pairs = world.pairs([message]);
    const figures = await world.figures({ sent: 1, accepted: [message] }, pairs, world.missing(pairs));
    figures.failures.push(...failures);
    world.record({ ...figures, notes: { requests, finalStatus: status } });
    expect(figures.failures).toEqual([]);
  } finally {
    await world.close();
  }
});
