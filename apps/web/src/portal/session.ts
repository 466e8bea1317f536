/**
 * The portal's access token. It arrives in the URL fragment (`/portal#token=…`), which browsers never send to
 * a server; the page moves it into this tab's sessionStorage (or memory, where storage is blocked, as in some
 * third-party iframes) and removes it from the address bar, so it is not bookmarked or shared by accident.
 */
const STORAGE_KEY = 'hookrelay.portal.token';
const LOOK_KEY = 'hookrelay.portal.look';
let memoryToken: string | undefined;
let memoryLook: PortalLook = {};

/**
 * How the tenant wants the portal to look, from the link's fragment next to the token:
 * `#token=…&theme=dark&accent=%23e11d48&brand=Acme%20Webhooks`. Not signed (it is only looks).
 */
export interface PortalLook {
  theme?: 'light' | 'dark';
  /** A CSS hex colour for links and primary buttons. */
  accent?: string;
  /** The title in the top bar instead of "Webhooks". */
  brand?: string;
}

function readLook(fragment: URLSearchParams): PortalLook {
  const look: PortalLook = {};
  const theme = fragment.get('theme');
  if (theme === 'light' || theme === 'dark') look.theme = theme;
  const accent = fragment.get('accent');
  if (accent && /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(accent)) look.accent = accent;
  const brand = fragment.get('brand')?.trim();
  if (brand) look.brand = brand.slice(0, 60);
  return look;
}

/** The look given with the current token (kept for reloads, like the token). */
export function portalLook(): PortalLook {
  try {
    const stored = window.sessionStorage.getItem(LOOK_KEY);
    return stored ? (JSON.parse(stored) as PortalLook) : memoryLook;
  } catch {
    return memoryLook;
  }
}

/** Applies the look to the page: a theme attribute and CSS variables (no inline styles: the CSP allows none). */
export function applyLook(look: PortalLook): void {
  const root = document.documentElement;
  if (look.theme) root.dataset.theme = look.theme;
  else delete root.dataset.theme;
  if (look.accent) root.style.setProperty('--accent', look.accent);
  else root.style.removeProperty('--accent');
}

export interface PortalClaims {
  app: string;
  tenant: string;
  capabilities: string[];
  featureFlags: string[];
  /** Seconds since the epoch. */
  exp: number;
}

export function takeToken(): string | undefined {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    memoryToken = fromUrl;
    memoryLook = readLook(fragment);
    try {
      window.sessionStorage.setItem(STORAGE_KEY, fromUrl);
      window.sessionStorage.setItem(LOOK_KEY, JSON.stringify(memoryLook));
    } catch {
      // Storage blocked (a sandboxed or third-party frame): the token lives in memory for this page only.
    }
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
    return fromUrl;
  }
  if (memoryToken) return memoryToken;
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function forgetToken(): void {
  memoryToken = undefined;
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

/** The token's claims, read without checking the signature: only for display; the API checks every call. */
export function readClaims(token: string): PortalClaims | undefined {
  try {
    const part = token.split('.')[1];
    if (!part) return undefined;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as Partial<PortalClaims>;
    if (typeof claims.app !== 'string' || typeof claims.exp !== 'number') return undefined;
    return {
      app: claims.app,
      tenant: String(claims.tenant ?? ''),
      capabilities: Array.isArray(claims.capabilities) ? claims.capabilities : [],
      featureFlags: Array.isArray(claims.featureFlags) ? claims.featureFlags : [],
      exp: claims.exp,
    };
  } catch {
    return undefined;
  }
}

const INCLUDED: Record<string, string[]> = {
  ManageEndpointSecret: ['ViewEndpointSecret'],
  ManageEndpoint: ['ManageEndpointSecret', 'ViewEndpointSecret'],
};

/** Mirrors the API's rule (libs/domain hasCapability) to hide what the token cannot do. */
export function allows(capabilities: readonly string[], wanted: string): boolean {
  return capabilities.some((c) => c === wanted || (INCLUDED[c] ?? []).includes(wanted));
}
