import { createContext, useContext } from 'react';
import type { ApiClient } from '../shared/api';
import type { PortalClaims } from './session';

export interface Portal {
  api: ApiClient;
  appId: string;
  claims: PortalClaims;
  /** True when the token may do what `capability` allows (the API enforces it regardless). */
  can(capability: string): boolean;
}

export const PortalContext = createContext<Portal | undefined>(undefined);

export function usePortal(): Portal {
  const portal = useContext(PortalContext);
  if (!portal) throw new Error('usePortal outside the portal');
  return portal;
}

/** The application's routes, with its id escaped: `/api/v1/app/app_…/endpoint`. */
export function appPath(portal: Portal, ...rest: string[]): string {
  return ['/api/v1/app', portal.appId, ...rest]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
}
