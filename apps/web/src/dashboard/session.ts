/**
 * The dashboard's tenant API key, kept in this tab's sessionStorage only (never in a URL, never in
 * localStorage): closing the tab signs out. Where storage is blocked it lives in memory for the page's life.
 */
const STORAGE_KEY = 'hookrelay.dashboard.key';
let memoryKey: string | undefined;

export function storedKey(): string | undefined {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? memoryKey;
  } catch {
    return memoryKey;
  }
}

export function keepKey(key: string): void {
  memoryKey = key;
  try {
    window.sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage blocked: memory only.
  }
}

export function forgetKey(): void {
  memoryKey = undefined;
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}
