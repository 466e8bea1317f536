import { useState } from 'react';
import { ApiError } from '../shared/api';
import { formatDate, formatDuration, prettyJson } from '../shared/format';
import { href } from '../shared/router';
import { DeliveryStatus, EmptyState, ErrorPanel, Notice } from '../shared/ui';
import { appPath, usePortal } from './context';
import type { Attempt } from './types';

/**
 * Delivery attempts, newest first: status, response code, duration, and the response body on demand, with
 * a resend button per attempt when the token may create attempts.
 */
export function AttemptList({
  attempts,
  label,
  showMessage,
  onResent,
}: {
  attempts: Attempt[];
  label: string;
  /** Show which message each attempt carried (on an endpoint's page; a message's page knows it). */
  showMessage: boolean;
  onResent: () => void;
}) {
  const portal = usePortal();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const [error, setError] = useState<ApiError>();
  if (attempts.length === 0) {
    return (
      <EmptyState title="No deliveries yet">
        <p>Attempts appear here as soon as a webhook is sent to this endpoint.</p>
      </EmptyState>
    );
  }
  const resend = async (attempt: Attempt) => {
    setError(undefined);
    try {
      await portal.api.post(appPath(portal, 'msg', attempt.msgId, 'endpoint', attempt.endpointId, 'resend'));
      setNotice({ tone: 'ok', text: `Resending ${attempt.msg?.eventType ?? attempt.msgId}…` });
      onResent();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e)));
    }
  };
  return (
    <>
      <Notice notice={notice} />
      {error ? <ErrorPanel error={error} /> : null}
      <ol className="attempts" aria-label={label}>
        {attempts.map((attempt) => (
          <li key={attempt.id} className="attempt" data-status={attempt.statusText}>
            <div className="attempt-line">
              <DeliveryStatus status={attempt.statusText} />
              <span className="code" title="HTTP status code">
                {attempt.responseStatusCode === 0 ? 'no response' : `HTTP ${attempt.responseStatusCode}`}
              </span>
              <span className="muted">{formatDuration(attempt.responseDurationMs)}</span>
              <time className="muted" dateTime={attempt.timestamp}>
                {formatDate(attempt.timestamp)}
              </time>
              {attempt.triggerType === 1 ? <span className="muted">manual</span> : null}
            </div>
            {showMessage ? (
              <p className="attempt-msg">
                <a href={href('messages', attempt.msgId)}>
                  <code>{attempt.msg?.eventType ?? attempt.msgId}</code>
                </a>{' '}
                <span className="muted small">{attempt.msgId}</span>
              </p>
            ) : (
              <p className="attempt-msg muted small url">{attempt.url}</p>
            )}
            <details>
              <summary>Response body</summary>
              <pre className="code-block">{attempt.response ? prettyJson(attempt.response) : '(empty)'}</pre>
            </details>
            {portal.can('CreateAttempts') ? (
              <button type="button" onClick={() => void resend(attempt)}>
                Resend
              </button>
            ) : null}
          </li>
        ))}
      </ol>
    </>
  );
}
