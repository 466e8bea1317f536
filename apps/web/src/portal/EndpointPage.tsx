import { FormEvent, useState } from 'react';
import { ApiError, Page } from '../shared/api';
import { formatDate, localInputValue } from '../shared/format';
import { href, navigate } from '../shared/router';
import { Badge, BadgeTone, ConfirmButton, CopyButton, ErrorPanel, Loading, Notice } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { AttemptList } from './AttemptList';
import { appPath, usePortal } from './context';
import type { Attempt, Endpoint, EndpointStats, EventType } from './types';

/** The endpoint's ownership verification, as a badge (docs/verification.md). */
const VERIFICATION_TONE: Record<NonNullable<Endpoint['verification']>, BadgeTone> = {
  pending: 'warn',
  verified: 'ok',
  failed: 'bad',
  expired: 'bad',
};
const VERIFICATION_LABEL: Record<NonNullable<Endpoint['verification']>, string> = {
  pending: 'verification pending',
  verified: 'verified',
  failed: 'verification failed',
  expired: 'verification expired',
};

const POLL_MS = 3000;
type NoticeValue = { tone: 'ok' | 'bad'; text: string } | undefined;

export function EndpointPage({ endpointId }: { endpointId: string }) {
  const portal = usePortal();
  const endpoint = useResource(`endpoint:${endpointId}`, () =>
    portal.api.get<Endpoint>(appPath(portal, 'endpoint', endpointId)),
  );
  const [notice, setNotice] = useState<NoticeValue>();
  const [error, setError] = useState<ApiError>();

  if (endpoint.error && !endpoint.data)
    return <ErrorPanel error={endpoint.error} onRetry={endpoint.reload} />;
  if (!endpoint.data) return <Loading what="the endpoint" />;
  const ep = endpoint.data;

  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await work();
      setNotice({ tone: 'ok', text: done });
      endpoint.reload();
    } catch (e) {
      setNotice(undefined);
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };

  return (
    <article aria-labelledby="endpoint-title">
      <p>
        <a href={href('endpoints')}>← All endpoints</a>
      </p>
      <div className="section-head">
        <h1 id="endpoint-title" className="url">
          {ep.url}
        </h1>
        {ep.disabled ? <Badge tone="off">disabled</Badge> : <Badge tone="ok">enabled</Badge>}
        {ep.verification ? (
          <Badge tone={VERIFICATION_TONE[ep.verification]}>{VERIFICATION_LABEL[ep.verification]}</Badge>
        ) : null}
      </div>
      {ep.verification && ep.verification !== 'verified' ? (
        <p className="muted">
          Nothing is sent to this endpoint until its owner answers the verification challenge; its messages
          wait until then.
        </p>
      ) : null}
      {ep.description ? <p>{ep.description}</p> : null}
      <dl className="facts">
        <dt>Endpoint id</dt>
        <dd>
          <code>{ep.id}</code>
        </dd>
        <dt>Events</dt>
        <dd>
          {ep.filterTypes?.length ? ep.filterTypes.map((t) => <code key={t}>{t} </code>) : 'All event types'}
        </dd>
        <dt>Created</dt>
        <dd>{formatDate(ep.createdAt)}</dd>
      </dl>
      <Notice notice={notice} />
      {error ? <ErrorPanel error={error} /> : null}
      {portal.can('ManageEndpoint') ? (
        <div className="actions" role="group" aria-label="Endpoint actions">
          <a className="button" href={href('endpoints', ep.id, 'edit')}>
            Edit
          </a>
          <button
            type="button"
            onClick={() =>
              void act(
                () => portal.api.patch(appPath(portal, 'endpoint', ep.id), { disabled: !ep.disabled }),
                ep.disabled
                  ? 'Endpoint enabled: deliveries resume.'
                  : 'Endpoint disabled: nothing is sent to it.',
              )
            }
          >
            {ep.disabled ? 'Enable' : 'Disable'}
          </button>
          {ep.verification && ep.verification !== 'verified' ? (
            <button
              type="button"
              onClick={() =>
                void act(
                  () => portal.api.post(`${appPath(portal, 'endpoint', ep.id)}/verification/resend`, {}),
                  'Verification challenge sent again.',
                )
              }
            >
              Re-send verification
            </button>
          ) : null}
          <ConfirmButton
            label="Delete"
            confirmLabel="Delete endpoint"
            question="Delete this endpoint and its delivery history?"
            danger
            onConfirm={() =>
              act(() => portal.api.delete(appPath(portal, 'endpoint', ep.id)), 'Endpoint deleted.').then(() =>
                navigate('endpoints'),
              )
            }
          />
        </div>
      ) : null}
      <StatsSection endpointId={ep.id} />
      {portal.can('ViewEndpointSecret') ? <SecretSection endpointId={ep.id} /> : null}
      {portal.can('CreateAttempts') ? <TestingSection endpoint={ep} /> : null}
      <DeliveriesSection endpointId={ep.id} />
    </article>
  );
}

function StatsSection({ endpointId }: { endpointId: string }) {
  const portal = usePortal();
  const stats = useResource(
    `stats:${endpointId}`,
    () => portal.api.get<EndpointStats>(appPath(portal, 'endpoint', endpointId, 'stats')),
    POLL_MS,
  );
  if (!stats.data) return stats.error ? <ErrorPanel error={stats.error} onRetry={stats.reload} /> : null;
  const s = stats.data;
  return (
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">Last 28 days</h2>
      <ul className="stats">
        <li>
          <strong>{s.success}</strong> delivered
        </li>
        <li>
          <strong>{s.fail}</strong> failed
        </li>
        <li>
          <strong>{s.pending + s.sending}</strong> in progress
        </li>
      </ul>
    </section>
  );
}

function SecretSection({ endpointId }: { endpointId: string }) {
  const portal = usePortal();
  const [secret, setSecret] = useState<string>();
  const [notice, setNotice] = useState<NoticeValue>();
  const [error, setError] = useState<ApiError>();
  const reveal = async () => {
    setError(undefined);
    try {
      const out = await portal.api.get<{ key: string }>(appPath(portal, 'endpoint', endpointId, 'secret'));
      setSecret(out.key);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };
  const rotate = async () => {
    setError(undefined);
    try {
      await portal.api.post(appPath(portal, 'endpoint', endpointId, 'secret', 'rotate'), {});
      setNotice({
        tone: 'ok',
        text: 'Secret rotated. The previous secret keeps signing alongside the new one for 24 hours.',
      });
      if (secret) await reveal();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };
  return (
    <section aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p className="muted">
        Use it to check that each webhook really comes from us (Standard Webhooks signatures).
      </p>
      {secret ? (
        <p className="secret">
          <code data-testid="endpoint-secret">{secret}</code>{' '}
          <CopyButton text={secret} label="Copy signing secret" />{' '}
          <button type="button" onClick={() => setSecret(undefined)}>
            Hide
          </button>
        </p>
      ) : (
        <button type="button" onClick={() => void reveal()}>
          Reveal secret
        </button>
      )}{' '}
      {portal.can('ManageEndpointSecret') ? (
        <ConfirmButton
          label="Rotate secret"
          confirmLabel="Rotate now"
          question="Make a new secret? The old one keeps working for 24 hours."
          onConfirm={rotate}
        />
      ) : null}
      <Notice notice={notice} />
      {error ? <ErrorPanel error={error} /> : null}
    </section>
  );
}

function TestingSection({ endpoint }: { endpoint: Endpoint }) {
  const portal = usePortal();
  const catalog = useResource('catalog', () =>
    portal.api.get<Page<EventType>>('/api/v1/event-type', { limit: 250 }),
  );
  const [eventType, setEventType] = useState('svix.ping');
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 24 * 3600 * 1000)));
  const [notice, setNotice] = useState<NoticeValue>();
  const [error, setError] = useState<ApiError>();
  const run = async (work: () => Promise<string>) => {
    setError(undefined);
    try {
      setNotice({ tone: 'ok', text: await work() });
    } catch (e) {
      setNotice(undefined);
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };
  const sendExample = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const msg = await portal.api.post<{ id: string }>(
        appPath(portal, 'endpoint', endpoint.id, 'send-example'),
        {
          eventType,
        },
      );
      return `Example ${eventType} sent (${msg.id}). It appears under Recent deliveries in a moment.`;
    });
  };
  const recover = (event: FormEvent) => {
    event.preventDefault();
    const date = new Date(since);
    if (Number.isNaN(date.getTime())) {
      setError(new ApiError(422, 'validation_error', 'Enter a date and time to recover from.'));
      return;
    }
    void run(async () => {
      // A background task the worker runs: the new attempts appear under Recent deliveries as they go.
      await portal.api.post(appPath(portal, 'endpoint', endpoint.id, 'recover'), {
        since: date.toISOString(),
      });
      return 'Recovery started: failed deliveries since then are being resent.';
    });
  };
  const types = (catalog.data?.data ?? []).filter(
    (t) => !endpoint.filterTypes?.length || endpoint.filterTypes.includes(t.name),
  );
  return (
    <section aria-labelledby="testing-title">
      <h2 id="testing-title">Testing and recovery</h2>
      {endpoint.disabled ? <p className="muted">Enable the endpoint to send to it.</p> : null}
      <form className="inline-form" onSubmit={sendExample}>
        <label htmlFor="example-type">Event type</label>
        <select id="example-type" value={eventType} onChange={(e) => setEventType(e.target.value)}>
          <option value="svix.ping">svix.ping (a test ping)</option>
          {types.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={endpoint.disabled}>
          Send example
        </button>
      </form>
      <form className="inline-form" onSubmit={recover}>
        <label htmlFor="recover-since">Resend failed deliveries since</label>
        <input
          id="recover-since"
          type="datetime-local"
          value={since}
          required
          onChange={(e) => setSince(e.target.value)}
        />
        <button type="submit" disabled={endpoint.disabled}>
          Recover
        </button>
      </form>
      <Notice notice={notice} />
      {error ? <ErrorPanel error={error} /> : null}
    </section>
  );
}

function DeliveriesSection({ endpointId }: { endpointId: string }) {
  const portal = usePortal();
  const attempts = useResource(
    `attempts:${endpointId}`,
    () =>
      portal.api.get<Page<Attempt>>(appPath(portal, 'attempt', 'endpoint', endpointId), {
        limit: 50,
        with_msg: true,
      }),
    POLL_MS,
  );
  return (
    <section aria-labelledby="deliveries-title">
      <div className="section-head">
        <h2 id="deliveries-title">Recent deliveries</h2>
        <button type="button" onClick={attempts.reload}>
          Refresh
        </button>
      </div>
      {attempts.error ? <ErrorPanel error={attempts.error} onRetry={attempts.reload} /> : null}
      {attempts.data ? (
        <AttemptList
          attempts={attempts.data.data}
          label="Delivery attempts"
          showMessage
          onResent={attempts.reload}
        />
      ) : attempts.error ? null : (
        <Loading what="deliveries" />
      )}
    </section>
  );
}
