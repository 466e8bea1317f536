import { ChaosWorld } from './support/chaos-world';
import { Gate } from './support/ledger-receiver';
import { attemptsRecorded, finalStatus, sendOne } from './support/single-message';

/**
 * Scenario 7c: a resend (`POST …/msg/{msg}/endpoint/{ep}/resend`) while the first attempt is still in
 * flight. The receiver holds both; the first then fails and is recorded before the resend's 204. A resend
 * adds an attempt on top of the history: the in-flight attempt's late failure must not take over the
 * delivery, which ends `success` with the two requests and no third.
 */
it('a resend while an attempt is in flight: the late attempt does not undo the resend', async () => {
  const world = await ChaosWorld.create('7c resend while an attempt is in flight');
  const failures: string[] = [];
  try {
    await world.startApi();
    await world.startWorker();
    const gate = new Gate(2);
    await world.setup([{ key: 'gate', behaviour: gate.behaviour }]);
    const endpoint = world.endpoints[0]!;

    const message = await sendOne(world);
    if (!(await gate.waitForHeld(1, 30_000))) throw new Error('the first attempt never arrived');
    const resend = await world
      .client()
      .post(`/api/v1/app/${world.appId}/msg/${message.msgId}/endpoint/${endpoint.id}/resend`);
    if (resend.status !== 202)
      failures.push(`resend answered ${resend.status}: ${JSON.stringify(resend.body)}`);
    if (!(await gate.waitForHeld(2, 30_000)))
      failures.push('the resend was not sent while the first attempt was in flight');

    gate.release(0, { status: 500, body: 'late answer to the first attempt' });
    await attemptsRecorded(world, 1, 10_000);
    gate.release(1, { status: 204 });
    const status = await finalStatus(world, 30_000);

    const requests = world.receiver.tally('gate', message.msgId!).arrivals;
    if (status !== 'success') failures.push(`the delivery ended "${status}" although the resend succeeded`);
    if (requests > 2) {
      failures.push(
        `the in-flight attempt took the resend's place: the receiver got ${requests} requests, not 2`,
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
