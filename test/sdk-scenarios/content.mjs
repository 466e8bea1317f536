// Message content through the official Svix SDK, either major (see filters.mjs): with_content on create,
// get and list, and the content expunge (bulk-expunge on 2.x, the single-message route on 1.x). Prints one
// JSON line with `checks`; exit code 0 when every check holds, 1 when one does not, 2 when a call failed.
//
// Environment: HOOKRELAY_URL, HOOKRELAY_KEY (a tenant key), SVIX_PACKAGE.
import { check, major, report, svix } from './scenario.mjs';

async function main() {
  // Message content, on an application of its own (no endpoints, nothing to deliver).
  const store = await svix.application.create({ name: `sdk ${major}.x content` });
  const payload = { card: '4242', nested: { a: [1, 2] } };
  const plain = await svix.message.create(store.id, { eventType: 'user.created', payload });
  // 2.x asks for with_content=false by default and shows what the server answers; 1.x copies it back.
  check('create without options', plain.payload, major === 2 ? {} : payload);
  const withContent = await svix.message.create(
    store.id,
    { eventType: 'user.created', payload },
    { withContent: true },
  );
  check('create with withContent', withContent.payload, payload);
  check(
    'get without options',
    (await svix.message.get(store.id, plain.id)).payload,
    major === 2 ? {} : payload,
  );
  check(
    'get with withContent',
    (await svix.message.get(store.id, plain.id, { withContent: true })).payload,
    payload,
  );
  check(
    'get with withContent false',
    (await svix.message.get(store.id, plain.id, { withContent: false })).payload,
    {},
  );
  check(
    'list with withContent',
    (await svix.message.list(store.id, { withContent: true })).data.map((m) => m.payload),
    [payload, payload],
  );

  // Content expunge: 2.x's bulk-expunge, 1.x's single-message expunge.
  if (major === 2) {
    const result = await svix.message.bulkExpungeContent(store.id, {
      ids: [plain.id, 'msg_2zzzzzzzzzzzzzzzzzzzzzzzzzz'],
    });
    check('bulk-expunge results', result.results, {
      [plain.id]: 'expunged',
      msg_2zzzzzzzzzzzzzzzzzzzzzzzzzz: 'not-found',
    });
    check(
      'bulk-expunge without ids expunges nothing',
      (await svix.message.bulkExpungeContent(store.id)).results,
      {},
    );
  } else {
    await svix.message.expungeContent(store.id, plain.id);
  }
  check(
    'an expunged message reads back empty',
    (await svix.message.get(store.id, plain.id, { withContent: true })).payload,
    {},
  );
  check(
    'the other message keeps its payload',
    (await svix.message.get(store.id, withContent.id, { withContent: true })).payload,
    payload,
  );

  return { major };
}
await report(main);
