import { ReactNode, useId, useState } from 'react';
import { ApiError } from './api';

/** Small accessible building blocks shared by the portal and the dashboard. */

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** What a failure means for the person looking at the page, one status at a time; never a blank page. */
export function describeError(error: ApiError): { title: string; body: string } {
  if (error.status === 0) return { title: 'Cannot reach the service', body: error.detail };
  if (error.status === 401) {
    const body =
      error.code === 'token_expired'
        ? 'This access link has expired. Open the webhooks page again from the application you came from to get a new one.'
        : error.code === 'token_revoked'
          ? 'This access link was revoked. Open the webhooks page again from the application you came from.'
          : 'This access link is not valid. Open the webhooks page again from the application you came from.';
    return { title: 'Your access has ended', body };
  }
  if (error.status === 403) {
    const capability = typeof error.extra.capability === 'string' ? error.extra.capability : undefined;
    return {
      title: 'Not allowed',
      body: capability
        ? `Your access does not include this action (it needs the ${capability} permission). Ask the service that gave you this link for more access.`
        : error.detail,
    };
  }
  if (error.status === 404) return { title: 'Not found', body: `${error.detail} It may have been deleted.` };
  if (error.status === 409) return { title: 'Not possible right now', body: error.detail };
  if (error.status === 422) return { title: 'Please check the form', body: error.detail };
  if (error.status === 429) return { title: 'Too many requests', body: 'Wait a moment and try again.' };
  return {
    title: 'Something went wrong on our side',
    body: `${error.detail}${error.requestId ? ` (request id ${error.requestId})` : ''} Please try again in a moment.`,
  };
}

export function ErrorPanel({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const { title, body } = describeError(error);
  const retryable = error.status === 0 || error.status >= 500 || error.status === 429;
  return (
    <div className="error" role="alert" data-status={error.status} data-code={error.code}>
      <h3>{title}</h3>
      <p>{body}</p>
      {retryable && onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export type BadgeTone = 'ok' | 'bad' | 'warn' | 'info' | 'off';

export function Badge({ tone, children }: { tone: BadgeTone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

const STATUS_TONE: Record<string, BadgeTone> = {
  success: 'ok',
  fail: 'bad',
  pending: 'warn',
  sending: 'info',
  canceled: 'off',
};

export function DeliveryStatus({ status }: { status: string }) {
  const label = status === 'fail' ? 'failed' : status;
  return <Badge tone={STATUS_TONE[status] ?? 'info'}>{label}</Badge>;
}

/** A button that asks "are you sure?" inline (no browser dialog: it works the same inside an iframe). */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  danger,
  disabled,
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void | Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();
  if (!asking) {
    return (
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        onClick={() => setAsking(true)}
        disabled={disabled}
      >
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-labelledby={id}>
      <span id={id}>{question}</span>
      <button
        type="button"
        className={danger ? 'danger' : 'primary'}
        disabled={busy}
        autoFocus
        onClick={() => {
          setBusy(true);
          void Promise.resolve(onConfirm()).finally(() => {
            setBusy(false);
            setAsking(false);
          });
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard
          ?.writeText(text)
          .then(() => setCopied(true))
          .catch(() => setCopied(false));
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A short-lived message after an action ("Secret rotated"), announced to screen readers. */
export function Notice({ notice }: { notice: { tone: 'ok' | 'bad'; text: string } | undefined }) {
  return (
    <p className={notice ? `notice notice-${notice.tone}` : 'notice'} role="status" aria-live="polite">
      {notice?.text ?? ''}
    </p>
  );
}
