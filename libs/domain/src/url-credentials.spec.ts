import {
  basicAuthorization,
  hasMaskedPassword,
  joinUrlCredentials,
  maskedUrl,
  resolveMaskedUrl,
  splitUrlCredentials,
  URL_PASSWORD_MASK,
  urlCredentialsProblem,
} from './url-credentials';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('splitUrlCredentials', () => {
  it('leaves a URL without user info exactly as given', () => {
    for (const url of ['https://public.example', 'https://public.example/a?b=c#d', 'not a url @ all']) {
      expect(splitUrlCredentials(url)).toEqual({ url, credentials: null });
    }
  });

  it('splits user and password off, keeping both percent-encoded', () => {
    expect(splitUrlCredentials('https://user:p%40ss@public.example:8443/hook?x=1')).toEqual({
      url: 'https://public.example:8443/hook?x=1',
      credentials: { username: 'user', password: 'p%40ss' },
    });
  });

  it('splits a user without a password, and a password without a user', () => {
    expect(splitUrlCredentials('https://user@public.example/')).toEqual({
      url: 'https://public.example/',
      credentials: { username: 'user', password: '' },
    });
    expect(splitUrlCredentials('https://:pw@public.example/')).toEqual({
      url: 'https://public.example/',
      credentials: { username: '', password: 'pw' },
    });
  });

  it('takes the host after the last "@" of the authority, as the SSRF guard does', () => {
    expect(splitUrlCredentials('http://169.254.169.254:80@evil.example/')).toEqual({
      url: 'http://evil.example/',
      credentials: { username: '169.254.169.254', password: '80' },
    });
    // An "@" in the fragment is no user info.
    expect(splitUrlCredentials('http://evil.example/#@169.254.169.254')).toEqual({
      url: 'http://evil.example/#@169.254.169.254',
      credentials: null,
    });
  });

  it('is undone by joinUrlCredentials', () => {
    const url = 'https://us%20er:p%40ss@public.example/hook';
    const { url: bare, credentials } = splitUrlCredentials(url);
    expect(joinUrlCredentials(bare, credentials)).toBe(url);
    expect(joinUrlCredentials(bare, null)).toBe(bare);
  });
});

describe('maskedUrl', () => {
  it('replaces the password by the mask and keeps the user', () => {
    expect(maskedUrl('https://public.example/hook', { username: 'user', password: 'p%40ss' })).toBe(
      `https://user:${URL_PASSWORD_MASK}@public.example/hook`,
    );
  });

  it('shows a user without a password as it is, and a URL without credentials unchanged', () => {
    expect(maskedUrl('https://public.example/hook', { username: 'user', password: '' })).toBe(
      'https://user@public.example/hook',
    );
    expect(maskedUrl('https://public.example', null)).toBe('https://public.example');
  });

  it('is recognised as masked', () => {
    expect(hasMaskedPassword(maskedUrl('https://h.example/', { username: 'u', password: 'x' }))).toBe(true);
    expect(hasMaskedPassword('https://u:x@h.example/')).toBe(false);
    expect(hasMaskedPassword('https://h.example/')).toBe(false);
  });
});

describe('resolveMaskedUrl', () => {
  const stored = {
    url: 'https://public.example/hook',
    credentials: { username: 'user', password: 's3cret' },
  };
  const shown = maskedUrl(stored.url, stored.credentials);

  it('keeps the stored password when the URL is exactly the one shown', () => {
    expect(resolveMaskedUrl(shown, stored)).toEqual({
      ok: true,
      url: 'https://user:s3cret@public.example/hook',
    });
  });

  it('takes any URL without the mask as it is: new credentials, or none', () => {
    for (const url of ['https://user:n3w@public.example/hook', 'https://public.example/hook']) {
      expect(resolveMaskedUrl(url, stored)).toEqual({ ok: true, url });
    }
  });

  it('refuses the mask with another user, scheme, host, port, path or query', () => {
    for (const url of [
      `https://other:${URL_PASSWORD_MASK}@public.example/hook`,
      `http://user:${URL_PASSWORD_MASK}@public.example/hook`,
      `https://user:${URL_PASSWORD_MASK}@evil.example/hook`,
      `https://user:${URL_PASSWORD_MASK}@public.example:444/hook`,
      `https://user:${URL_PASSWORD_MASK}@public.example/other`,
      `https://user:${URL_PASSWORD_MASK}@public.example/hook?x`,
    ]) {
      expect({ url, result: resolveMaskedUrl(url, stored) }).toEqual({
        url,
        result: { ok: false, reason: 'masked_elsewhere' },
      });
    }
  });

  it('refuses the mask when nothing, or no password, is stored, or nothing exists yet', () => {
    expect(resolveMaskedUrl(shown, { url: stored.url, credentials: null }).ok).toBe(false);
    expect(resolveMaskedUrl(shown, null).ok).toBe(false);
    expect(
      resolveMaskedUrl(shown, { url: stored.url, credentials: { username: 'user', password: '' } }).ok,
    ).toBe(false);
  });
});

describe('basicAuthorization', () => {
  it('percent-decodes user and password (RFC 3986) before encoding them (RFC 7617)', () => {
    expect(basicAuthorization({ username: 'user', password: 'p%40ss' })).toBe(basic('user', 'p@ss'));
    expect(basicAuthorization({ username: 'J%C3%BCrgen', password: '%E2%82%AC%25' })).toBe(
      basic('Jürgen', '€%'),
    );
  });

  it('sends an absent password as empty, and keeps a "%" that starts no escape', () => {
    expect(basicAuthorization({ username: 'user', password: '' })).toBe(basic('user', ''));
    expect(basicAuthorization({ username: 'a%zz', password: '100%' })).toBe(basic('a%zz', '100%'));
  });

  it('encodes the credentials the URL parser produced from raw characters', () => {
    const { credentials } = splitUrlCredentials('https://us er:pä ss@public.example/');
    expect(basicAuthorization(credentials!)).toBe(basic('us er', 'pä ss'));
  });
});

describe('urlCredentialsProblem', () => {
  it('refuses a user name with a colon in it, and accepts one in the password', () => {
    expect(urlCredentialsProblem({ username: 'a%3Ab', password: '' })).toMatch(/must not contain ":"/);
    expect(urlCredentialsProblem({ username: 'a', password: 'b%3Ac' })).toBeUndefined();
  });
});
