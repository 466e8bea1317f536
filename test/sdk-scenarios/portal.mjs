// Consumer-portal tokens through the official Svix SDK, either major (see filters.mjs): appPortalAccess with
// capabilities and a session, the token used as the SDK's key on its application, refusals (403 for what it
// may not do, 404 for another application), expireAll by session, and logout. Prints one JSON line with
// `checks`; exit code 0 when every check holds, 1 when one does not, 2 when a call failed.
//
// Environment: HOOKRELAY_URL, HOOKRELAY_KEY (a tenant key), SVIX_PACKAGE.
import { check, major, report, serverUrl, svix, Svix } from './scenario.mjs';

/** The HTTP status an SDK call failed with, or 'ok'. */
const statusOf = (promise) =>
  promise.then(
    () => 'ok',
    (error) => error?.code ?? String(error),
  );

async function main() {
  const app = await svix.application.create({ name: `sdk ${major}.x portal`, uid: `portal-${major}` });
  const other = await svix.application.create({ name: `sdk ${major}.x other` });
  const access = await svix.authentication.appPortalAccess(app.uid, {
    capabilities: ['ViewBase', 'ManageEndpoint'],
    sessionId: 'alice',
    expiry: 3600,
  });
  check(
    'the link carries the token in its fragment',
    access.url,
    `${serverUrl}/portal#token=${access.token}`,
  );

  const portal = new Svix(access.token, { serverUrl, retryScheduleInMs: [] });
  const filter = major === 2 ? { eventTypes: null } : { filterTypes: null };
  const endpoint = await portal.endpoint.create(app.id, { url: 'https://example.com/portal', ...filter });
  check('the token creates an endpoint', endpoint.url, 'https://example.com/portal');
  check(
    'and lists it',
    (await portal.endpoint.list(app.id)).data.map((e) => e.id),
    [endpoint.id],
  );
  check(
    'reads the secret (ManageEndpoint includes it)',
    (await portal.endpoint.getSecret(app.id, endpoint.id)).key.startsWith('whsec_'),
    true,
  );
  check(
    'may not send messages',
    await statusOf(portal.message.create(app.id, { eventType: 'x.y', payload: {} })),
    403,
  );
  check(
    'may not resend without CreateAttempts',
    await statusOf(portal.endpoint.sendExample(app.id, endpoint.id, { eventType: 'svix.ping' })),
    403,
  );
  check('sees no other application', await statusOf(portal.endpoint.list(other.id)), 404);

  const bob = await svix.authentication.appPortalAccess(app.id, { sessionId: 'bob' });
  await svix.authentication.expireAll(app.id, { sessionIds: ['alice'] });
  check("alice's token is revoked", await statusOf(portal.endpoint.list(app.id)), 401);
  const bobClient = new Svix(bob.token, { serverUrl, retryScheduleInMs: [] });
  check("bob's still works", await statusOf(bobClient.endpoint.list(app.id)), 'ok');
  await bobClient.authentication.logout();
  check('after logout it does not', await statusOf(bobClient.endpoint.list(app.id)), 401);
  return { major };
}
await report(main);
