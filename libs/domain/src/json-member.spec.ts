import { jsonMemberText } from './json-member';

describe('jsonMemberText', () => {
  it('returns the member exactly as written: order, escapes, spacing and number spelling', () => {
    const payload = '{"z": 1, "a": {"é": "\\u00e9 😀", "n": 1.50, "list": [3, 2, {"}": "]"}]}, "10": null}';
    const body = `{"eventType":"invoice.paid","payload":${payload},"tags":["x"]}`;
    expect(jsonMemberText(body, 'payload')).toBe(payload);
  });

  it('finds members at any position, around whitespace, and keys written with escapes', () => {
    expect(jsonMemberText(' {\n "payload" :\t{"a":1} \n}', 'payload')).toBe('{"a":1}');
    expect(jsonMemberText('{"pay\\u006coad": [1,2]}', 'payload')).toBe('[1,2]');
    expect(jsonMemberText('{"a":"x\\"payload\\":1","payload":true}', 'payload')).toBe('true');
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    expect(jsonMemberText('{"payload":{"v":1},"payload":{"v":2}}', 'payload')).toBe('{"v":2}');
  });

  it('ignores nested members of the same name', () => {
    expect(jsonMemberText('{"data":{"payload":1}}', 'payload')).toBeUndefined();
    expect(jsonMemberText('{"data":{"payload":1},"payload":2}', 'payload')).toBe('2');
  });

  it('returns undefined for a missing member or a body that is not an object', () => {
    expect(jsonMemberText('{}', 'payload')).toBeUndefined();
    expect(jsonMemberText('[{"payload":1}]', 'payload')).toBeUndefined();
    expect(jsonMemberText('"payload"', 'payload')).toBeUndefined();
  });

  it('agrees with JSON.parse on what the value is', () => {
    const body = JSON.stringify({ a: 1, payload: { deep: [{ x: 'y\n' }, -0.5e3, false] }, b: [] });
    expect(JSON.parse(jsonMemberText(body, 'payload')!)).toEqual(JSON.parse(body).payload);
  });
});
