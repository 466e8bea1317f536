/**
 * OAuth2 toward receivers, in Svix's shape (`EndpointOauthConfigIn`): before an attempt the worker gets an
 * access token from the receiver's authorization server (RFC 6749 §4.4 client credentials, or §6 refresh
 * token), and sends it as `Authorization: Bearer …`. Pure pieces here: the token request and the reading of
 * the answer. Every reason is safe to store in an attempt row: it never carries a secret or a token.
 */
export type OauthGrantType = 'clientCredentials' | 'refreshToken';
export type OauthAuthMethod = 'clientSecretBasic' | 'clientSecretPost';

export interface OauthClientConfig {
  grantType: OauthGrantType;
  authMethod: OauthAuthMethod;
  clientId: string;
  clientSecret: string | null;
  /** For `refreshToken`: the refresh token (replaced when the server rotates it). */
  refreshToken: string | null;
  tokenUrl: string;
  scopes: string[] | null;
  extraParams: Record<string, string> | null;
  extraHeaders: Record<string, string> | null;
}

/** Body parameters Hookrelay sets itself: `extraParams` may not replace them. */
export const OAUTH_RESERVED_PARAMS = ['grant_type', 'client_id', 'client_secret', 'refresh_token', 'scope'];

/** Without `expires_in`, a token is reused this long (RFC 6749 leaves the lifetime to the server's docs). */
export const OAUTH_DEFAULT_LIFETIME_SECONDS = 300;
/** A cached token is dropped this long before it expires (or at 90 % of a shorter life), never used stale. */
export const OAUTH_EXPIRY_MARGIN_SECONDS = 60;
/** An access token must fit in a header value. */
const TOKEN = /^[\x21-\x7e]+$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface TokenRequest {
  headers: Record<string, string>;
  /** `application/x-www-form-urlencoded`. */
  body: string;
}

export function tokenRequest(config: OauthClientConfig): TokenRequest {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(config.extraParams ?? {})) form.set(name, value);
  if (config.grantType === 'clientCredentials') {
    form.set('grant_type', 'client_credentials');
  } else {
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', config.refreshToken ?? '');
  }
  if (config.scopes && config.scopes.length > 0) form.set('scope', config.scopes.join(' '));
  const headers: Record<string, string> = { ...(config.extraHeaders ?? {}) };
  if (config.authMethod === 'clientSecretBasic') {
    // RFC 6749 §2.3.1: both parts form-encoded before base64.
    const user = `${formEncode(config.clientId)}:${formEncode(config.clientSecret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
  } else {
    form.set('client_id', config.clientId);
    if (config.clientSecret !== null) form.set('client_secret', config.clientSecret);
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  headers.accept = 'application/json';
  return { headers, body: form.toString() };
}

export type TokenResponseParse =
  | { ok: true; accessToken: string; expiresInSeconds: number; refreshToken: string | null }
  | { ok: false; reason: string };

/** Reads the token server's answer (RFC 6749 §5.1/§5.2). Anything unusable is a reason, never a throw. */
export function parseTokenResponse(statusCode: number, body: string): TokenResponseParse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const fields =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  if (statusCode < 200 || statusCode > 299) {
    const code = typeof fields?.error === 'string' ? ` (error "${clip(fields.error)}")` : '';
    return { ok: false, reason: `The OAuth2 token server answered HTTP ${statusCode}${code}.` };
  }
  if (!fields)
    return { ok: false, reason: 'The OAuth2 token server answered 2xx, but not with a JSON object.' };
  const token = fields.access_token;
  if (typeof token !== 'string' || token.length === 0) {
    return { ok: false, reason: 'The OAuth2 token server\'s answer has no "access_token" string.' };
  }
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
    return { ok: false, reason: 'The OAuth2 token server\'s "access_token" cannot be sent in a header.' };
  }
  const type = fields.token_type;
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
    return {
      ok: false,
      reason: `The OAuth2 token server issued a "${clip(typeof type === 'string' ? type : JSON.stringify(type))}" token, not a Bearer token.`,
    };
  }
  const expiresIn = typeof fields.expires_in === 'string' ? Number(fields.expires_in) : fields.expires_in;
  const lifetime =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : OAUTH_DEFAULT_LIFETIME_SECONDS;
  const refresh =
    typeof fields.refresh_token === 'string' && fields.refresh_token ? fields.refresh_token : null;
  return { ok: true, accessToken: token, expiresInSeconds: lifetime, refreshToken: refresh };
}

/** Until when (ms) a token obtained at `now` with this lifetime may be reused. */
export function tokenReusableUntil(now: number, expiresInSeconds: number): number {
  const margin = Math.min(OAUTH_EXPIRY_MARGIN_SECONDS, expiresInSeconds * 0.1);
  return now + (expiresInSeconds - margin) * 1000;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** Server-chosen text shown in a reason: bounded and printable. */
function clip(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
