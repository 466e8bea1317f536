import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PortalApp } from './portal/PortalApp';
import { DashboardApp } from './dashboard/DashboardApp';
import './shared/styles.css';

/**
 * One front-end, one build, several areas, each served by the API at its own path: the consumer portal at
 * /portal (a subscriber with a portal token) and the tenant dashboard at /dashboard (a tenant API key).
 * Areas share src/shared (API client, errors, building blocks, styles) and nothing else.
 */
const AREAS: Record<string, () => React.ReactElement> = {
  portal: () => <PortalApp />,
  dashboard: () => <DashboardApp />,
};

function areaOf(pathname: string): string {
  const last = pathname.replace(/\/+$/, '').split('/').pop() ?? '';
  return last in AREAS ? last : 'portal';
}

const root = document.getElementById('root');
if (root) {
  const area = AREAS[areaOf(window.location.pathname)] ?? AREAS.portal!;
  createRoot(root).render(<StrictMode>{area()}</StrictMode>);
}
