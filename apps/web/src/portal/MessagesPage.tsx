import type { Page } from '../shared/api';
import { formatDate } from '../shared/format';
import { href } from '../shared/router';
import { EmptyState, ErrorPanel, Loading } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { appPath, usePortal } from './context';
import type { Message } from './types';

export function MessagesPage() {
  const portal = usePortal();
  const messages = useResource(
    'messages',
    () => portal.api.get<Page<Message>>(appPath(portal, 'msg'), { limit: 50, with_content: false }),
    3000,
  );
  return (
    <section aria-labelledby="messages-title">
      <div className="section-head">
        <h1 id="messages-title">Messages</h1>
        <button type="button" onClick={messages.reload}>
          Refresh
        </button>
      </div>
      <p className="muted">The most recent events sent to you, newest first.</p>
      {messages.error ? <ErrorPanel error={messages.error} onRetry={messages.reload} /> : null}
      {messages.loading && !messages.data ? <Loading what="messages" /> : null}
      {messages.data && messages.data.data.length === 0 ? (
        <EmptyState title="No messages yet">
          <p>Events appear here as soon as they are sent to you.</p>
        </EmptyState>
      ) : null}
      {messages.data && messages.data.data.length > 0 ? (
        <ul className="cards" aria-label="Messages">
          {messages.data.data.map((msg) => (
            <li key={msg.id} className="card">
              <a className="card-title" href={href('messages', msg.id)}>
                <code>{msg.eventType}</code>
              </a>
              <p className="meta muted">
                <time dateTime={msg.timestamp}>{formatDate(msg.timestamp)}</time> ·{' '}
                <span className="small">{msg.id}</span>
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
