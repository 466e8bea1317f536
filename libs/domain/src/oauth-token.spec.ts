import { OauthClientConfig, parseTokenResponse, tokenRequest, tokenReusableUntil } from './oauth-token';

const base: OauthClientConfig = {
  grantType: 'clientCredentials',
  authMethod: 'clientSecretPost',
  clientId: 'id',
  clientSecret: 'secret',
  refreshToken: null,
  tokenUrl: 'https://auth.example.com/token',
  scopes: null,
  extraParams: null,
  extraHeaders: null,
};

describe('tokenRequest', () => {
  it('puts the client in the body for clientSecretPost, and Hookrelay fields win over extraParams', () => {
    const req = tokenRequest({ ...base, extraParams: { audience: 'x' }, scopes: ['a', 'b'] });
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      audience: 'x',
      grant_type: 'client_credentials',
      scope: 'a b',
      client_id: 'id',
      client_secret: 'secret',
    });
    expect(req.headers.authorization).toBeUndefined();
  });

  it('form-encodes the basic credentials (RFC 6749 §2.3.1) and keeps our content type over extraHeaders', () => {
    const req = tokenRequest({
      ...base,
      authMethod: 'clientSecretBasic',
      clientId: 'a b',
      clientSecret: 'c:d',
      extraHeaders: { 'content-type': 'text/plain', 'x-a': '1' },
    });
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('a+b:c%3Ad').toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers['x-a']).toBe('1');
    expect(req.body).toBe('grant_type=client_credentials');
  });

  it('sends the refresh token for the refreshToken grant', () => {
    const req = tokenRequest({ ...base, grantType: 'refreshToken', refreshToken: 'r1' });
    expect(new URLSearchParams(req.body).get('refresh_token')).toBe('r1');
    expect(new URLSearchParams(req.body).get('grant_type')).toBe('refresh_token');
  });
});

describe('parseTokenResponse', () => {
  it('reads a Bearer token, its lifetime and a rotated refresh token', () => {
    const body = JSON.stringify({
      access_token: 'abc',
      token_type: 'bearer',
      expires_in: '120',
      refresh_token: 'r2',
    });
    expect(parseTokenResponse(200, body)).toEqual({
      ok: true,
      accessToken: 'abc',
      expiresInSeconds: 120,
      refreshToken: 'r2',
    });
    expect(parseTokenResponse(200, '{"access_token":"abc"}')).toMatchObject({
      ok: true,
      expiresInSeconds: 300,
    });
  });

  it.each([
    [500, 'oops', 'answered HTTP 500.'],
    [401, '{"error":"invalid_client\\r\\nx"}', 'answered HTTP 401 (error "invalid_client??x").'],
    [200, '<html>', 'not with a JSON object'],
    [200, '[1]', 'not with a JSON object'],
    [200, '{"token":"x"}', 'no "access_token"'],
    [200, '{"access_token":"a b"}', 'cannot be sent in a header'],
    [200, '{"access_token":"abc","token_type":"mac"}', '"mac" token, not a Bearer token'],
  ])('refuses HTTP %i %s with a reason', (status, body, reason) => {
    const parsed = parseTokenResponse(status, body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});

describe('tokenReusableUntil', () => {
  it('stops reusing a token a minute before it expires, or at 90 % of a short life', () => {
    expect(tokenReusableUntil(0, 3600)).toBe(3_540_000);
    expect(tokenReusableUntil(0, 100)).toBe(90_000);
  });
});
