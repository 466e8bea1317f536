import { useState } from 'react';
import { ApiError, Page } from '../shared/api';
import { formatDate, prettyJson } from '../shared/format';
import { href } from '../shared/router';
import { DeliveryStatus, ErrorPanel, Loading, Notice } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { AttemptList } from './AttemptList';
import { appPath, usePortal } from './context';
import type { Attempt, Destination, Message } from './types';

export function MessagePage({ messageId }: { messageId: string }) {
  const portal = usePortal();
  const message = useResource(`msg:${messageId}`, () =>
    portal.api.get<Message>(appPath(portal, 'msg', messageId)),
  );
  const destinations = useResource(
    `msg-endpoints:${messageId}`,
    () => portal.api.get<Page<Destination>>(appPath(portal, 'msg', messageId, 'endpoint'), { limit: 250 }),
    3000,
  );
  const attempts = useResource(
    `msg-attempts:${messageId}`,
    () => portal.api.get<Page<Attempt>>(appPath(portal, 'attempt', 'msg', messageId), { limit: 250 }),
    3000,
  );
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const [error, setError] = useState<ApiError>();

  if (message.error && !message.data) return <ErrorPanel error={message.error} onRetry={message.reload} />;
  if (!message.data) return <Loading what="the message" />;
  const msg = message.data;
  const resend = async (endpointId: string) => {
    setError(undefined);
    try {
      await portal.api.post(appPath(portal, 'msg', msg.id, 'endpoint', endpointId, 'resend'));
      setNotice({ tone: 'ok', text: 'Resending…' });
      destinations.reload();
      attempts.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };
  const reload = () => {
    destinations.reload();
    attempts.reload();
  };
  return (
    <article aria-labelledby="message-title">
      <p>
        <a href={href('messages')}>← All messages</a>
      </p>
      <h1 id="message-title">
        <code>{msg.eventType}</code>
      </h1>
      <dl className="facts">
        <dt>Message id</dt>
        <dd>
          <code>{msg.id}</code>
        </dd>
        {msg.eventId ? (
          <>
            <dt>Event id</dt>
            <dd>
              <code>{msg.eventId}</code>
            </dd>
          </>
        ) : null}
        <dt>Sent</dt>
        <dd>{formatDate(msg.timestamp)}</dd>
      </dl>
      <details open>
        <summary>Payload</summary>
        <pre className="code-block">{prettyJson(msg.payload)}</pre>
      </details>
      <section aria-labelledby="destinations-title">
        <h2 id="destinations-title">Endpoints</h2>
        <Notice notice={notice} />
        {error ? <ErrorPanel error={error} /> : null}
        {destinations.error ? <ErrorPanel error={destinations.error} onRetry={destinations.reload} /> : null}
        {destinations.data?.data.length === 0 ? (
          <p className="muted">No endpoint was subscribed to this event when it was sent.</p>
        ) : null}
        <ul className="cards" aria-label="Endpoints of this message">
          {destinations.data?.data.map((d) => (
            <li key={d.id} className="card">
              <a className="card-title url" href={href('endpoints', d.id)}>
                {d.url}
              </a>
              <p className="meta">
                <DeliveryStatus status={d.statusText} />{' '}
                {d.nextAttempt ? <span className="muted">next try {formatDate(d.nextAttempt)}</span> : null}
              </p>
              {portal.can('CreateAttempts') ? (
                <button type="button" onClick={() => void resend(d.id)} disabled={d.disabled}>
                  Resend
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {attempts.error ? <ErrorPanel error={attempts.error} onRetry={attempts.reload} /> : null}
        {attempts.data ? (
          <AttemptList
            attempts={attempts.data.data}
            label="Attempts of this message"
            showMessage={false}
            onResent={reload}
          />
        ) : null}
      </section>
    </article>
  );
}
