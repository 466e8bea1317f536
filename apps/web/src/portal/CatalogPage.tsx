import type { Page } from '../shared/api';
import { EmptyState, ErrorPanel, Loading } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { usePortal } from './context';
import type { EventType } from './types';

/** The event types an endpoint can subscribe to. */
export function CatalogPage() {
  const portal = usePortal();
  const catalog = useResource('catalog', () =>
    portal.api.get<Page<EventType>>('/api/v1/event-type', { limit: 250 }),
  );
  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Event types</h1>
      <p className="muted">
        The events you can receive. Each endpoint can subscribe to all of them or a few.
      </p>
      {catalog.error ? <ErrorPanel error={catalog.error} onRetry={catalog.reload} /> : null}
      {catalog.loading && !catalog.data ? <Loading what="event types" /> : null}
      {catalog.data && catalog.data.data.length === 0 ? (
        <EmptyState title="No event types published">
          <p>Endpoints receive every event that is sent to you.</p>
        </EmptyState>
      ) : null}
      {catalog.data && catalog.data.data.length > 0 ? (
        <ul className="cards" aria-label="Event types">
          {catalog.data.data.map((t) => (
            <li key={t.name} className="card">
              <p className="card-title">
                <code>{t.name}</code> {t.deprecated ? <span className="muted">(deprecated)</span> : null}
              </p>
              {t.description ? <p>{t.description}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
