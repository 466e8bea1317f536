import { useEffect, useMemo, useState } from 'react';
import { ApiClient } from '../shared/api';
import { href, navigate, useRoute } from '../shared/router';
import { ErrorPanel } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { appPath, Portal, PortalContext, usePortal } from './context';
import { allows, applyLook, forgetToken, portalLook, readClaims, takeToken } from './session';
import type { Application } from './types';
import { EndpointsPage } from './EndpointsPage';
import { EndpointForm } from './EndpointForm';
import { EndpointPage } from './EndpointPage';
import { MessagesPage } from './MessagesPage';
import { MessagePage } from './MessagePage';
import { CatalogPage } from './CatalogPage';

/** The consumer portal: one application's endpoints, deliveries and event catalog, opened with a link. */
export function PortalApp() {
  const [token, setToken] = useState(takeToken);
  // A new link opened in the same tab changes only the fragment: take its token without a reload.
  useEffect(() => {
    const onHash = () => {
      if (/(^#|&)token=/.test(window.location.hash)) setToken(takeToken());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const look = useMemo(() => {
    const current = portalLook();
    applyLook(current);
    return current;
  }, [token]);
  const portal = useMemo<Portal | undefined>(() => {
    const claims = token ? readClaims(token) : undefined;
    if (!token || !claims) return undefined;
    return {
      api: new ApiClient(token),
      appId: claims.app,
      claims,
      can: (capability) => allows(claims.capabilities, capability),
    };
  }, [token]);

  if (!token || !portal) {
    return (
      <Shell>
        <div className="error" role="alert">
          <h2>No access link</h2>
          <p>
            {token
              ? 'The link that opened this page is damaged.'
              : 'This page opens from a link given by the application you use.'}{' '}
            Open the webhooks page again from that application.
          </p>
        </div>
      </Shell>
    );
  }
  if (portal.claims.exp * 1000 <= Date.now()) {
    return (
      <Shell>
        <div className="error" role="alert" data-status="401">
          <h2>Your access has ended</h2>
          <p>
            This access link has expired. Open the webhooks page again from the application you came from.
          </p>
        </div>
      </Shell>
    );
  }
  return (
    <PortalContext.Provider value={portal}>
      <PortalShell
        brand={look.brand}
        onLogout={() => {
          void portal.api.post('/api/v1/auth/logout').catch(() => undefined);
          forgetToken();
          setToken(undefined);
        }}
      />
    </PortalContext.Provider>
  );
}

function Shell({ children, title }: { children: React.ReactNode; title?: string }) {
  return (
    <div className="page">
      <header className="topbar">
        <p className="brand">{title ?? 'Webhooks'}</p>
      </header>
      <main id="main">{children}</main>
    </div>
  );
}

function PortalShell({ onLogout, brand }: { onLogout: () => void; brand?: string }) {
  const route = useRoute();
  const portal = usePortal();
  const app = useResource(`app:${portal.appId}`, () => portal.api.get<Application>(appPath(portal)));
  const section = route[0] ?? 'endpoints';
  if (app.error?.status === 401) {
    return (
      <Shell>
        <ErrorPanel error={app.error} />
      </Shell>
    );
  }
  return (
    <div className="page">
      <a
        className="skip"
        href={window.location.pathname}
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <p className="brand">
          {brand ?? 'Webhooks'}
          {app.data ? <span className="muted"> · {app.data.name}</span> : null}
        </p>
        <nav aria-label="Sections">
          <a href={href('endpoints')} aria-current={section === 'endpoints' ? 'page' : undefined}>
            Endpoints
          </a>
          <a href={href('messages')} aria-current={section === 'messages' ? 'page' : undefined}>
            Messages
          </a>
          <a href={href('event-types')} aria-current={section === 'event-types' ? 'page' : undefined}>
            Event types
          </a>
        </nav>
        <button type="button" className="link" onClick={onLogout}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {app.error && app.error.status !== 401 ? <ErrorPanel error={app.error} onRetry={app.reload} /> : null}
        <Routes route={route} />
      </main>
    </div>
  );
}

function Routes({ route }: { route: string[] }) {
  const [section, id, action] = route;
  if (section === undefined || section === 'endpoints') {
    if (id === undefined) return <EndpointsPage />;
    if (id === 'new') return <EndpointForm />;
    if (action === 'edit') return <EndpointForm endpointId={id} />;
    return <EndpointPage endpointId={id} />;
  }
  if (section === 'messages') return id === undefined ? <MessagesPage /> : <MessagePage messageId={id} />;
  if (section === 'event-types') return <CatalogPage />;
  return (
    <div className="error" role="alert">
      <h2>Page not found</h2>
      <p>
        There is nothing at this address. <a href={href('endpoints')}>Go to your endpoints</a>.
      </p>
      <button type="button" onClick={() => navigate('endpoints')}>
        Endpoints
      </button>
    </div>
  );
}
