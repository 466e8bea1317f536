import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from '@app/domain';
import { openHeaders, sealHeaders } from './sealed-headers';

describe('sealed custom headers', () => {
  const box = new SecretBox([{ version: 1, key: randomBytes(32) }]);
  const headers = { 'X-Team': 'billing', Authorization: 'Bearer s3cret' };

  it('seals the whole set as one string naming no header and no value, and opens it for its endpoint', () => {
    const sealed = sealHeaders(box, 'org_1', 'ep_1', headers);
    expect(sealed).toMatch(/^v1c:/);
    expect(sealed).not.toMatch(/X-Team|billing|s3cret/);
    expect(openHeaders(box, 'org_1', 'ep_1', sealed)).toEqual(headers);
  });

  it('refuses a set sealed for another endpoint or tenant', () => {
    const sealed = sealHeaders(box, 'org_1', 'ep_1', headers);
    expect(() => openHeaders(box, 'org_1', 'ep_2', sealed)).toThrow(SecretBoxError);
    expect(() => openHeaders(box, 'org_2', 'ep_1', sealed)).toThrow(SecretBoxError);
  });

  it('reads a row written before headers were sealed (a plain object) as it is, and nothing as no headers', () => {
    expect(openHeaders(box, 'org_1', 'ep_1', headers)).toEqual(headers);
    expect(openHeaders(box, 'org_1', 'ep_1', null)).toEqual({});
  });
});
