// Credentials in an endpoint URL through the official Svix SDK, either major (see filters.mjs): the URL reads
// back with its password masked, and the SDK's get-then-update (and get-then-patch) round trip sends that
// masked URL back, which must keep the password. Then one message, which the spec checks arrives with the
// original password as Basic auth. Prints one JSON line with the message id and `checks`; exit code 0 when
// every check holds, 1 when one does not, 2 when a call failed.
//
// Environment: HOOKRELAY_URL, HOOKRELAY_KEY (a tenant key), SVIX_PACKAGE, RECEIVER_URL (credentials are
// added to it here).
import { check, env, major, report, svix } from './scenario.mjs';

const withCredentials = (user, password) => {
  const url = new URL(env('RECEIVER_URL'));
  url.username = user;
  url.password = password;
  return url.href;
};

async function main() {
  const app = await svix.application.create({ name: `sdk ${major}.x url credentials` });
  const masked = withCredentials('sdk-user', '********');
  const created = await svix.endpoint.create(app.id, { url: withCredentials('sdk-user', 'p%40ss') });
  check('create answers the masked URL', created.url, masked);
  const shown = await svix.endpoint.get(app.id, created.id);
  check('get shows the masked URL', shown.url, masked);

  // The round trips an SDK user writes: read the endpoint, change something, write it back.
  // 2.x renamed `update` (PUT) to `upsert`.
  const put = major === 2 ? svix.endpoint.upsert : svix.endpoint.update;
  const updated = await put.call(svix.endpoint, app.id, created.id, {
    url: shown.url,
    description: 'updated',
  });
  check('PUT with the masked URL answers it masked', updated.url, masked);
  const patched = await svix.endpoint.patch(app.id, created.id, { url: updated.url, description: 'patched' });
  check('patch with the masked URL answers it masked', patched.url, masked);

  const message = await svix.message.create(app.id, { eventType: 'credentials.checked', payload: {} });
  return { major, endpointId: created.id, messageId: message.id };
}
await report(main);
