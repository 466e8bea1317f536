// Endpoint filters through the official Svix SDK, run by test/e2e/svix-sdk-majors.e2e-spec.ts with either
// major: SVIX_PACKAGE=svix (1.x, CommonJS) or SVIX_PACKAGE=svix-v2 (2.x, ESM only, hence a plain .mjs file).
// It drives the API as a user's code would: an endpoint filtered by event type, one by channel, then a
// message matching neither, and one matching each. It prints one JSON line: the ids the spec needs to check
// delivery, and `checks` (what it read back through the SDK). Exit code 0 when every check holds, 1 when
// one does not, 2 when a call failed. It never waits for deliveries: the spec does, at its receivers.
//
// Environment: HOOKRELAY_URL, HOOKRELAY_KEY (a tenant key), SVIX_PACKAGE, RECEIVER_TYPES_URL,
// RECEIVER_CHANNEL_URL.
import { check, env, major, report, svix } from './scenario.mjs';
// The one wire difference this scenario exercises on purpose: the name of the event-type filter.
const filterField = major === 2 ? 'eventTypes' : 'filterTypes';

async function main() {
  const app = await svix.application.create({ name: `sdk ${major}.x` });
  for (const name of ['invoice.paid', 'user.created']) {
    await svix.eventType.create({ name, description: name });
  }

  // An endpoint filtered by event type, and one by channel.
  const types = await svix.endpoint.create(app.id, {
    url: env('RECEIVER_TYPES_URL'),
    [filterField]: ['invoice.paid'],
  });
  const channel = await svix.endpoint.create(app.id, { url: env('RECEIVER_CHANNEL_URL'), channels: ['eu'] });
  check(`create answers the filter as ${filterField}`, types[filterField], ['invoice.paid']);

  // Read back, one by one and in the list.
  check(`get shows the filter as ${filterField}`, (await svix.endpoint.get(app.id, types.id))[filterField], [
    'invoice.paid',
  ]);
  check('get shows the channel filter', (await svix.endpoint.get(app.id, channel.id)).channels, ['eu']);
  const listed = (await svix.endpoint.list(app.id)).data;
  check(
    'the list shows both filters',
    listed.map((e) => [e.id, e[filterField] ?? null, e.channels ?? null]).sort(),
    [
      [types.id, ['invoice.paid'], null],
      [channel.id, null, ['eu']],
    ].sort(),
  );

  // The message that matches neither endpoint goes first, so the spec can tell it was never delivered
  // once the later, matching ones have arrived.
  const nonMatching = await svix.message.create(app.id, {
    eventType: 'user.created',
    payload: { which: 'non-matching' },
    channels: ['us'],
  });
  const typeMatch = await svix.message.create(app.id, {
    eventType: 'invoice.paid',
    payload: { which: 'type-match' },
    channels: ['us'],
  });
  const channelMatch = await svix.message.create(app.id, {
    eventType: 'user.created',
    payload: { which: 'channel-match' },
    channels: ['eu'],
  });

  // The destinations the API lists for each message (msg/{id}/endpoint), filter under the SDK's name.
  const destinations = async (msgId) =>
    (await svix.messageAttempt.listAttemptedDestinations(app.id, msgId)).data.map((d) => [
      d.id,
      d[filterField] ?? null,
    ]);
  check('the non-matching message has no destination', await destinations(nonMatching.id), []);
  check('the type-matching message goes to the type endpoint only', await destinations(typeMatch.id), [
    [types.id, ['invoice.paid']],
  ]);
  check(
    'the channel-matching message goes to the channel endpoint only',
    await destinations(channelMatch.id),
    [[channel.id, null]],
  );

  return {
    major,
    appId: app.id,
    endpoints: {
      types: { id: types.id, secret: (await svix.endpoint.getSecret(app.id, types.id)).key },
      channel: { id: channel.id, secret: (await svix.endpoint.getSecret(app.id, channel.id)).key },
    },
    messages: { nonMatching: nonMatching.id, typeMatch: typeMatch.id, channelMatch: channelMatch.id },
  };
}

await report(main);
