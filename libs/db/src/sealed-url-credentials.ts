import { SealContext, SecretBox, splitUrlCredentials, SplitUrl, UrlCredentials } from '@app/domain';

/**
 * The user info of an endpoint URL at rest (`endpoints.url_credentials`, text): `{username, password}` sealed as
 * one JSON text, bound to its endpoint; `endpoints.url` holds the URL without it. Rows written before the split
 * still carry the user info in `url`: `openStoredUrl` splits it off on read (and SecretResealService moves it
 * into the sealed column), so no reader ever sees credentials in a URL.
 */
export function sealUrlCredentials(
  box: SecretBox,
  tenantId: string,
  endpointId: string,
  credentials: UrlCredentials,
): string {
  return box.seal(
    JSON.stringify({ username: credentials.username, password: credentials.password }),
    SealContext.endpointUrlCredentials(tenantId, endpointId),
  );
}

/** The URL without credentials, and the credentials (sealed column first, else the user info still in `url`). */
export function openStoredUrl(
  box: SecretBox,
  tenantId: string,
  endpointId: string,
  stored: { url: string; urlCredentials: string | null },
): SplitUrl {
  const split = splitUrlCredentials(stored.url);
  if (stored.urlCredentials === null) return split;
  const opened = JSON.parse(
    box.open(stored.urlCredentials, SealContext.endpointUrlCredentials(tenantId, endpointId)),
  ) as UrlCredentials;
  return { url: split.url, credentials: { username: opened.username, password: opened.password } };
}

/** The columns a URL is written to: `url` without user info, `url_credentials` sealed (null: none). */
export function urlColumns(
  box: SecretBox,
  tenantId: string,
  endpointId: string,
  url: string,
): { url: string; urlCredentials: string | null } {
  const split = splitUrlCredentials(url);
  return {
    url: split.url,
    urlCredentials:
      split.credentials === null ? null : sealUrlCredentials(box, tenantId, endpointId, split.credentials),
  };
}
