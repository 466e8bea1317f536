/**
 * User info in an endpoint URL (`https://user:p%40ss@host/hook`): credentials the receiver expects as HTTP Basic
 * auth (Svix sends them so). They are split off when an endpoint is written (the URL is stored without them,
 * they are sealed apart), sent as `Authorization: Basic …` on every attempt, and shown back with the password
 * replaced by `URL_PASSWORD_MASK`. A write whose URL is exactly what was shown (same user, mask as password,
 * same everything else) keeps the stored password, so an SDK's GET → PUT round trip does not destroy it.
 *
 * Both parts are kept as the WHATWG URL parser leaves them: percent-encoded where the URL needs it.
 */
export interface UrlCredentials {
  username: string;
  password: string;
}

/** What a stored password is shown as: eight `*`, which the URL parser leaves as they are. */
export const URL_PASSWORD_MASK = '********';

/** The URL without user info, and the user info it had (null when it had none). */
export interface SplitUrl {
  url: string;
  credentials: UrlCredentials | null;
}

/**
 * Splits the user info off an absolute URL. A URL without user info comes back as it was given, byte for byte
 * (so URLs without credentials are stored exactly as before); one with user info comes back as the parser
 * serialises it without them.
 */
export function splitUrlCredentials(url: string): SplitUrl {
  // Cheap test first: this runs for every attempt of an endpoint written before credentials were split.
  if (!url.includes('@')) return { url, credentials: null };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, credentials: null };
  }
  if (parsed.username === '' && parsed.password === '') return { url, credentials: null };
  const credentials = { username: parsed.username, password: parsed.password };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, credentials };
}

/** The URL with the credentials put back in (the URL as its owner wrote it, modulo the parser's spelling). */
export function joinUrlCredentials(url: string, credentials: UrlCredentials | null): string {
  if (credentials === null) return url;
  const parsed = new URL(url);
  parsed.username = credentials.username;
  parsed.password = credentials.password;
  return parsed.href;
}

/** The URL as shown: the user kept, a password replaced by the mask. */
export function maskedUrl(url: string, credentials: UrlCredentials | null): string {
  if (credentials === null) return url;
  return joinUrlCredentials(url, {
    username: credentials.username,
    password: credentials.password === '' ? '' : URL_PASSWORD_MASK,
  });
}

/** True when the URL's password is the mask: it was copied from what Hookrelay showed, not typed by a person. */
export function hasMaskedPassword(url: string): boolean {
  return splitUrlCredentials(url).credentials?.password === URL_PASSWORD_MASK;
}

/**
 * The URL a write means, given what is stored: when the incoming URL is exactly the stored one as shown (the
 * mask as password, same user, scheme, host, port, path, query and fragment), the stored one, real password
 * included; otherwise the incoming URL itself, whose credentials (or lack of them) replace the stored ones.
 * `masked_elsewhere` when the mask comes with any other URL: moving the stored password to another address
 * or user would hand it to whoever is there, and storing the mask as a password would be a silent loss, so
 * the caller refuses it.
 */
export function resolveMaskedUrl(
  incoming: string,
  /** What the endpoint has now; null when the write creates it. */
  stored: SplitUrl | null,
): { ok: true; url: string } | { ok: false; reason: 'masked_elsewhere' } {
  if (!hasMaskedPassword(incoming)) return { ok: true, url: incoming };
  if (stored?.credentials && stored.credentials.password !== '') {
    const shown = maskedUrl(stored.url, stored.credentials);
    if (new URL(incoming).href === shown) {
      return { ok: true, url: joinUrlCredentials(stored.url, stored.credentials) };
    }
  }
  return { ok: false, reason: 'masked_elsewhere' };
}

/**
 * Why the credentials cannot go out as Basic auth, or undefined when they can: RFC 7617 forbids a colon in the
 * user-id (the receiver would split it at the wrong place).
 */
export function urlCredentialsProblem(credentials: UrlCredentials): string | undefined {
  if (percentDecode(credentials.username).includes(0x3a)) {
    return 'the user name in url must not contain ":" (%3A): Basic auth could not tell it from the password';
  }
  return undefined;
}

/** `Basic base64(user:password)`, both percent-decoded to their bytes (RFC 3986 §3.2.1, RFC 7617). */
export function basicAuthorization(credentials: UrlCredentials): string {
  const bytes = Buffer.concat([
    percentDecode(credentials.username),
    Buffer.from(':'),
    percentDecode(credentials.password),
  ]);
  return `Basic ${bytes.toString('base64')}`;
}

/**
 * WHATWG percent-decode: `%XX` becomes its byte, anything else (a `%` not followed by two hex digits included)
 * stays as its UTF-8 bytes. Never throws, unlike decodeURIComponent.
 */
function percentDecode(value: string): Buffer {
  const input = Buffer.from(value, 'utf8');
  const out = Buffer.alloc(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0x25 && isHex(input[i + 1]) && isHex(input[i + 2])) {
      out[length++] = parseInt(String.fromCharCode(input[i + 1]!, input[i + 2]!), 16);
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return out.subarray(0, length);
}

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66))
  );
}
