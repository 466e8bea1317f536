import { FormEvent, useEffect, useState } from 'react';
import { ApiError, Page } from '../shared/api';
import { href, navigate } from '../shared/router';
import { ErrorPanel, Loading } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { appPath, usePortal } from './context';
import type { Endpoint, EventType } from './types';

/**
 * Create an endpoint, or edit one (`endpointId`): URL, description, the event types it receives and an
 * optional payload filter (a JSONLogic rule, typed as JSON; the API checks it and names what is wrong).
 */
export function EndpointForm({ endpointId }: { endpointId?: string }) {
  const portal = usePortal();
  const editing = endpointId !== undefined;
  const existing = useResource(`endpoint:${endpointId ?? 'new'}`, () =>
    editing ? portal.api.get<Endpoint>(appPath(portal, 'endpoint', endpointId)) : Promise.resolve(undefined),
  );
  const catalog = useResource('catalog', () =>
    portal.api.get<Page<EventType>>('/api/v1/event-type', { limit: 250 }),
  );
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [allEvents, setAllEvents] = useState(true);
  const [selected, setSelected] = useState<string[]>([]);
  const [filterText, setFilterText] = useState('');
  const [error, setError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const endpoint = existing.data;
    if (!endpoint) return;
    setUrl(endpoint.url);
    setDescription(endpoint.description);
    setAllEvents(!endpoint.filterTypes?.length);
    setSelected(endpoint.filterTypes ?? []);
    setFilterText(endpoint.payloadFilter ? JSON.stringify(endpoint.payloadFilter, null, 2) : '');
  }, [existing.data]);

  if (!portal.can('ManageEndpoint')) {
    return (
      <ErrorPanel
        error={new ApiError(403, 'missing_capability', 'Not allowed', [], { capability: 'ManageEndpoint' })}
      />
    );
  }
  if (existing.error) return <ErrorPanel error={existing.error} onRetry={existing.reload} />;
  if (editing && !existing.data) return <Loading what="the endpoint" />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!allEvents && selected.length === 0) {
      setError(
        new ApiError(422, 'validation_error', 'Choose at least one event type, or receive all of them.', [
          {
            loc: ['body', 'filterTypes'],
            msg: 'Choose at least one event type, or receive all of them.',
            type: 'value_error',
          },
        ]),
      );
      return;
    }
    let payloadFilter: unknown = null;
    if (filterText.trim() !== '') {
      try {
        payloadFilter = JSON.parse(filterText);
      } catch {
        const msg = 'The payload filter is not valid JSON.';
        setError(
          new ApiError(422, 'validation_error', msg, [
            { loc: ['body', 'payloadFilter'], msg, type: 'value_error' },
          ]),
        );
        return;
      }
    }
    setSaving(true);
    setError(undefined);
    const body = { url: url.trim(), description, filterTypes: allEvents ? null : selected, payloadFilter };
    try {
      const saved = editing
        ? await portal.api.patch<Endpoint>(appPath(portal, 'endpoint', endpointId), body)
        : await portal.api.post<Endpoint>(appPath(portal, 'endpoint'), body);
      navigate('endpoints', saved.id);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    } finally {
      setSaving(false);
    }
  };

  const urlError = error?.fieldMessage('url');
  const filterError = error?.fieldMessage('filterTypes') ?? error?.fieldMessage('eventTypes');
  const payloadFilterError = error?.fieldMessage('payloadFilter');
  const types = catalog.data?.data ?? [];
  return (
    <section aria-labelledby="form-title">
      <p>
        <a href={editing ? href('endpoints', endpointId) : href('endpoints')}>← Back</a>
      </p>
      <h1 id="form-title">{editing ? 'Edit endpoint' : 'Add endpoint'}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="endpoint-url">Endpoint URL</label>
          <input
            id="endpoint-url"
            type="url"
            inputMode="url"
            required
            placeholder="https://example.com/webhooks"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-invalid={urlError ? true : undefined}
            aria-describedby={urlError ? 'endpoint-url-error' : 'endpoint-url-help'}
          />
          {urlError ? (
            <p id="endpoint-url-error" className="field-error">
              {urlError}
            </p>
          ) : (
            <p id="endpoint-url-help" className="help">
              Your server receives a signed POST request here for every event.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="endpoint-description">Description (optional)</label>
          <input
            id="endpoint-description"
            type="text"
            value={description}
            maxLength={500}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <fieldset className="field" aria-describedby={filterError ? 'filter-error' : undefined}>
          <legend>Events to receive</legend>
          <label className="check">
            <input type="radio" name="events" checked={allEvents} onChange={() => setAllEvents(true)} />
            All event types
          </label>
          <label className="check">
            <input type="radio" name="events" checked={!allEvents} onChange={() => setAllEvents(false)} />
            Only the event types I choose
          </label>
          {!allEvents ? (
            catalog.error ? (
              <ErrorPanel error={catalog.error} onRetry={catalog.reload} />
            ) : catalog.loading && !catalog.data ? (
              <Loading what="event types" />
            ) : types.length === 0 ? (
              <p className="muted">
                No event types are published yet, so this endpoint can only receive all events.
              </p>
            ) : (
              <ul className="checklist" aria-label="Event types">
                {types.map((type) => (
                  <li key={type.name}>
                    <label className="check">
                      <input
                        type="checkbox"
                        checked={selected.includes(type.name)}
                        onChange={(e) =>
                          setSelected((s) =>
                            e.target.checked ? [...s, type.name] : s.filter((n) => n !== type.name),
                          )
                        }
                      />
                      <code>{type.name}</code>
                      {type.description ? <span className="muted"> — {type.description}</span> : null}
                      {type.deprecated ? <span className="muted"> (deprecated)</span> : null}
                    </label>
                  </li>
                ))}
              </ul>
            )
          ) : null}
          {filterError ? (
            <p id="filter-error" className="field-error">
              {filterError}
            </p>
          ) : null}
        </fieldset>
        <div className="field">
          <label htmlFor="endpoint-payload-filter">Payload filter (optional)</label>
          <textarea
            id="endpoint-payload-filter"
            rows={4}
            spellCheck={false}
            placeholder='{"==": [{"var": "data.currency"}, "EUR"]}'
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
            aria-invalid={payloadFilterError ? true : undefined}
            aria-describedby={payloadFilterError ? 'payload-filter-error' : 'payload-filter-help'}
          />
          {payloadFilterError ? (
            <p id="payload-filter-error" className="field-error">
              {payloadFilterError}
            </p>
          ) : (
            <p id="payload-filter-help" className="help">
              A JSONLogic rule: only events whose payload satisfies it are sent. Leave empty to receive every
              payload.
            </p>
          )}
        </div>
        {error && !urlError && !filterError && !payloadFilterError ? <ErrorPanel error={error} /> : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : editing ? 'Save changes' : 'Create endpoint'}
          </button>
          <a className="button" href={editing ? href('endpoints', endpointId) : href('endpoints')}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
