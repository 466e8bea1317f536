import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from '@app/domain';
import { openStoredUrl, urlColumns } from './sealed-url-credentials';

describe('sealed URL credentials', () => {
  const box = new SecretBox([{ version: 1, key: randomBytes(32) }]);

  it('stores the URL without user info and the credentials sealed, naming neither user nor password', () => {
    const columns = urlColumns(box, 'org_1', 'ep_1', 'https://hook-user:p%40ss@public.example/hook');
    expect(columns.url).toBe('https://public.example/hook');
    expect(columns.urlCredentials).toMatch(/^v1c:/);
    expect(columns.urlCredentials).not.toMatch(/hook-user|p%40ss|p@ss/);
    expect(openStoredUrl(box, 'org_1', 'ep_1', columns)).toEqual({
      url: 'https://public.example/hook',
      credentials: { username: 'hook-user', password: 'p%40ss' },
    });
  });

  it('stores a URL without user info as it is, with no credentials', () => {
    expect(urlColumns(box, 'org_1', 'ep_1', 'https://public.example')).toEqual({
      url: 'https://public.example',
      urlCredentials: null,
    });
  });

  it('refuses credentials sealed for another endpoint or tenant', () => {
    const { urlCredentials } = urlColumns(box, 'org_1', 'ep_1', 'https://u:p@public.example/');
    const stored = { url: 'https://public.example/', urlCredentials };
    expect(() => openStoredUrl(box, 'org_1', 'ep_2', stored)).toThrow(SecretBoxError);
    expect(() => openStoredUrl(box, 'org_2', 'ep_1', stored)).toThrow(SecretBoxError);
  });

  it('splits a row written before credentials were sealed (user info still in the URL) on read', () => {
    expect(
      openStoredUrl(box, 'org_1', 'ep_1', {
        url: 'https://old:pw@public.example/hook',
        urlCredentials: null,
      }),
    ).toEqual({ url: 'https://public.example/hook', credentials: { username: 'old', password: 'pw' } });
  });
});
