import type { Page } from '../shared/api';
import { href } from '../shared/router';
import { Badge, EmptyState, ErrorPanel, Loading } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { appPath, usePortal } from './context';
import type { Endpoint } from './types';

export function EndpointsPage() {
  const portal = usePortal();
  const endpoints = useResource('endpoints', () =>
    portal.api.get<Page<Endpoint>>(appPath(portal, 'endpoint'), { limit: 250 }),
  );
  const canAdd = portal.can('ManageEndpoint');
  return (
    <section aria-labelledby="endpoints-title">
      <div className="section-head">
        <h1 id="endpoints-title">Endpoints</h1>
        {canAdd ? (
          <a className="button primary" href={href('endpoints', 'new')}>
            Add endpoint
          </a>
        ) : null}
      </div>
      <p className="muted">The URLs where your webhooks are delivered.</p>
      {endpoints.error ? <ErrorPanel error={endpoints.error} onRetry={endpoints.reload} /> : null}
      {endpoints.loading && !endpoints.data ? <Loading what="endpoints" /> : null}
      {endpoints.data && endpoints.data.data.length === 0 ? (
        <EmptyState title="No endpoints yet">
          <p>
            {canAdd
              ? 'Add the URL of your server that should receive webhooks. You can choose which events it gets.'
              : 'No endpoint receives webhooks yet.'}
          </p>
          {canAdd ? (
            <a className="button primary" href={href('endpoints', 'new')}>
              Add your first endpoint
            </a>
          ) : null}
        </EmptyState>
      ) : null}
      {endpoints.data && endpoints.data.data.length > 0 ? (
        <ul className="cards" aria-label="Endpoints">
          {endpoints.data.data.map((endpoint) => (
            <li key={endpoint.id} className="card">
              <a className="card-title url" href={href('endpoints', endpoint.id)}>
                {endpoint.url}
              </a>
              {endpoint.description ? <p>{endpoint.description}</p> : null}
              <p className="meta">
                {endpoint.disabled ? <Badge tone="off">disabled</Badge> : <Badge tone="ok">enabled</Badge>}{' '}
                <span className="muted">
                  {endpoint.filterTypes?.length
                    ? `${endpoint.filterTypes.length} event type${endpoint.filterTypes.length === 1 ? '' : 's'}`
                    : 'all event types'}
                </span>
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
