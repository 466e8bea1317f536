import { useEffect, useState } from 'react';

/**
 * Routing in the URL fragment (`#/endpoints/ep_…`): the server serves one page, every view is a fragment,
 * and the fragment never reaches a server log. A route is a list of path segments.
 */
export function currentRoute(): string[] {
  const hash = window.location.hash.replace(/^#\/?/, '');
  if (hash.includes('=')) return [];
  return hash.split('/').filter(Boolean).map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/**
 * A link to a view. It carries the page's own path: the page has a <base href> (its assets' folder), against
 * which a bare `#/…` would resolve to another page.
 */
export function href(...segments: string[]): string {
  return `${window.location.pathname}${window.location.search}${fragment(segments)}`;
}

export function navigate(...segments: string[]): void {
  window.location.hash = fragment(segments).slice(1);
}

function fragment(segments: string[]): string {
  return '#/' + segments.map(encodeURIComponent).join('/');
}
