import { createContext, FormEvent, useContext, useEffect, useState } from 'react';
import { ApiClient, ApiError, Page } from '../shared/api';
import { formatDate } from '../shared/format';
import { href, useRoute } from '../shared/router';
import { Badge, EmptyState, ErrorPanel, Loading } from '../shared/ui';
import { useResource } from '../shared/use-resource';
import { forgetKey, keepKey, storedKey } from './session';
import { ChartBucket, StatsChart } from './StatsChart';

/**
 * The tenant dashboard at /dashboard: sign in with a tenant API key (kept in sessionStorage), then
 * applications, endpoints with their health, messages with attempts, dead letters with bulk redrive, event
 * types and delivery statistics. Every screen explains a 401, 403 or 5xx instead of going blank.
 */
interface Session {
  api: ApiClient;
  /** A 401 anywhere: the key was revoked or is wrong; back to sign in with that message. */
  refused: (error: ApiError) => void;
}

const SessionContext = createContext<Session | undefined>(undefined);
const useSession = () => useContext(SessionContext)!;

interface Application {
  id: string;
  uid: string | null;
  name: string;
}
interface Endpoint {
  id: string;
  uid: string | null;
  url: string;
  disabled: boolean;
  description: string;
}
interface Stats {
  buckets: (ChartBucket & { p50: number | null; p99: number | null })[];
  totals: { success: number; fail: number; p50: number | null; p95: number | null; p99: number | null };
  timeToFirstAttempt: { p50: number | null; p95: number | null };
  queueLagMs: number;
}
interface DeadLetter {
  id: string;
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUrl: string;
  msgId: string;
  eventType: string;
  attempts: number;
  lastResponseStatusCode: number | null;
  failedAt: string;
}
interface Task {
  id: string;
  status: 'running' | 'finished' | 'failed';
  data: { total?: number; processed?: number; redriven?: number };
}
interface FoundMessage {
  id: string;
  appId: string;
  eventType: string;
  eventId: string | null;
  tags: string[] | null;
  timestamp: string;
}
interface Attempt {
  id: string;
  endpointId: string;
  responseStatusCode: number;
  responseDurationMs: number;
  statusText: string;
  timestamp: string;
}

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

export function DashboardApp() {
  const [key, setKey] = useState(storedKey);
  const [refusal, setRefusal] = useState<ApiError>();
  if (!key) {
    return (
      <SignIn
        refusal={refusal}
        onSignIn={(k) => {
          keepKey(k);
          setRefusal(undefined);
          setKey(k);
        }}
      />
    );
  }
  const session: Session = {
    api: new ApiClient(key),
    refused: (error) => {
      forgetKey();
      setRefusal(error);
      setKey(undefined);
    },
  };
  return (
    <SessionContext.Provider value={session}>
      <Shell
        onSignOut={() => {
          forgetKey();
          setKey(undefined);
        }}
      />
    </SessionContext.Provider>
  );
}

function SignIn({ onSignIn, refusal }: { onSignIn: (key: string) => void; refusal?: ApiError }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<ApiError | undefined>(refusal);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    new ApiClient(value.trim())
      .get('/api/v1/app', { limit: 1 })
      .then(() => onSignIn(value.trim()))
      .catch((e: unknown) => setError(e instanceof ApiError ? e : new ApiError(0, 'unexpected', String(e))))
      .finally(() => setBusy(false));
  };
  return (
    <div className="page">
      <header className="topbar">
        <p className="brand">Hookrelay dashboard</p>
      </header>
      <main id="main">
        <h1>Sign in</h1>
        {error ? <Problem error={error} /> : null}
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor="api-key">Tenant API key</label>
            <input
              id="api-key"
              type="password"
              autoComplete="off"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              required
            />
            <p className="help">Kept in this tab only; closing the tab signs you out.</p>
          </div>
          <button type="submit" className="primary" disabled={busy || !value.trim()}>
            Sign in
          </button>
        </form>
      </main>
    </div>
  );
}

/** 401 and 403 in the dashboard's words; everything else as the shared panel says it. */
function Problem({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  if (error.status === 401) {
    return (
      <div className="error" role="alert" data-status={401}>
        <h3>API key refused</h3>
        <p>The API key is wrong or was revoked. Sign in with a valid tenant API key.</p>
      </div>
    );
  }
  if (error.status === 403) {
    return (
      <div className="error" role="alert" data-status={403}>
        <h3>Not allowed</h3>
        <p>{error.detail} This key may not do that; use a tenant API key.</p>
      </div>
    );
  }
  return <ErrorPanel error={error} onRetry={onRetry} />;
}

/** Loads with the session's client; a 401 signs out with the reason. */
function useApi<T>(key: string, load: (api: ApiClient) => Promise<T>, pollMs?: number) {
  const session = useSession();
  const resource = useResource(key, () => load(session.api), pollMs);
  useEffect(() => {
    if (resource.error?.status === 401) session.refused(resource.error);
  }, [resource.error, session]);
  return resource;
}

const SECTIONS: [string, string][] = [
  ['overview', 'Overview'],
  ['applications', 'Applications'],
  ['messages', 'Messages'],
  ['dead-letters', 'Dead letters'],
  ['event-types', 'Event types'],
];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const section = route[0] ?? 'overview';
  return (
    <div className="page">
      <header className="topbar">
        <p className="brand">Hookrelay dashboard</p>
        <nav aria-label="Sections">
          {SECTIONS.map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={section === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes route={route} />
      </main>
    </div>
  );
}

function Routes({ route }: { route: string[] }) {
  const [section, id, sub] = route;
  if (section === undefined || section === 'overview') return <Overview />;
  if (section === 'applications') return id ? <ApplicationPage appId={id} /> : <ApplicationsPage />;
  if (section === 'messages') return id && sub ? <MessagePage appId={id} msgId={sub} /> : <MessagesPage />;
  if (section === 'dead-letters') return <DeadLettersPage />;
  if (section === 'event-types') return <EventTypesPage />;
  return (
    <div className="error" role="alert">
      <h2>Page not found</h2>
      <p>
        There is nothing at this address. <a href={href('overview')}>Go to the overview</a>.
      </p>
    </div>
  );
}

function Overview() {
  const stats = useApi(
    'stats',
    (api) => api.get<Stats>('/api/v1/stats/delivery', { interval: 'hour' }),
    30_000,
  );
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Deliveries in the last 24 hours</h1>
      {stats.error ? <Problem error={stats.error} onRetry={stats.reload} /> : null}
      {stats.loading && !stats.data ? <Loading what="statistics" /> : null}
      {stats.data ? (
        <>
          <ul className="stats" aria-label="Totals">
            <li>
              <strong>{stats.data.totals.success}</strong> successful attempts
            </li>
            <li>
              <strong>{stats.data.totals.fail}</strong> failed attempts
            </li>
            <li>
              Latency p50 {ms(stats.data.totals.p50)} · p95 {ms(stats.data.totals.p95)} · p99{' '}
              {ms(stats.data.totals.p99)}
            </li>
            <li>Time to first attempt p95 {ms(stats.data.timeToFirstAttempt.p95)}</li>
            <li>Queue lag {ms(stats.data.queueLagMs)}</li>
          </ul>
          <StatsChart buckets={stats.data.buckets} title="Attempts per hour" />
        </>
      ) : null}
    </section>
  );
}

function ApplicationsPage() {
  const apps = useApi('apps', (api) => api.get<Page<Application>>('/api/v1/app', { limit: 250 }));
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Applications</h1>
      {apps.error ? <Problem error={apps.error} onRetry={apps.reload} /> : null}
      {apps.loading && !apps.data ? <Loading what="applications" /> : null}
      {apps.data && apps.data.data.length === 0 ? (
        <EmptyState title="No applications yet">Create one with the API or the svix SDK.</EmptyState>
      ) : null}
      <ul className="cards">
        {apps.data?.data.map((app) => (
          <li key={app.id} className="card">
            <a className="card-title" href={href('applications', app.id)}>
              {app.name}
            </a>
            <p className="small muted">{app.uid ?? app.id}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ApplicationPage({ appId }: { appId: string }) {
  const app = useApi(`app:${appId}`, (api) =>
    api.get<Application>(`/api/v1/app/${encodeURIComponent(appId)}`),
  );
  const endpoints = useApi(`endpoints:${appId}`, (api) =>
    api.get<Page<Endpoint>>(`/api/v1/app/${encodeURIComponent(appId)}/endpoint`, { limit: 250 }),
  );
  return (
    <section aria-labelledby="app-title">
      <h1 id="app-title">{app.data?.name ?? 'Application'}</h1>
      {app.error ? <Problem error={app.error} onRetry={app.reload} /> : null}
      {endpoints.error ? <Problem error={endpoints.error} onRetry={endpoints.reload} /> : null}
      <h2>Endpoints</h2>
      {endpoints.data && endpoints.data.data.length === 0 ? <EmptyState title="No endpoints" /> : null}
      {endpoints.data && endpoints.data.data.length > 0 ? (
        <table className="data-table" aria-label="Endpoints">
          <thead>
            <tr>
              <th>URL</th>
              <th>Success rate (24 h)</th>
              <th>p95 latency</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.data.data.map((e) => (
              <EndpointRow key={e.id} appId={appId} endpoint={e} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function EndpointRow({ appId, endpoint }: { appId: string; endpoint: Endpoint }) {
  const stats = useApi(`health:${endpoint.id}`, (api) =>
    api.get<Stats>('/api/v1/stats/delivery', { application: appId, endpoint: endpoint.id, interval: 'day' }),
  );
  const t = stats.data?.totals;
  const total = t ? t.success + t.fail : 0;
  return (
    <tr>
      <td className="url">{endpoint.url}</td>
      <td>
        {t ? (total === 0 ? 'no attempts' : `${Math.round((100 * t.success) / total)}% of ${total}`) : '…'}
      </td>
      <td>{t ? ms(t.p95) : '…'}</td>
      <td>
        {endpoint.disabled ? <Badge tone="off">disabled</Badge> : <Badge tone="ok">enabled</Badge>}
        {endpoint.disabled && endpoint.description ? (
          <span className="small muted"> {endpoint.description}</span>
        ) : null}
      </td>
    </tr>
  );
}

function MessagesPage() {
  const [form, setForm] = useState({ eventId: '', tag: '', eventType: '' });
  const [query, setQuery] = useState(form);
  const found = useApi(`search:${JSON.stringify(query)}`, (api) =>
    api.get<Page<FoundMessage>>('/api/v1/search/message', {
      event_id: query.eventId,
      tag: query.tag,
      event_types: query.eventType,
      limit: 50,
    }),
  );
  const field = (name: keyof typeof form, label: string) => (
    <label>
      {label} <input value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </label>
  );
  return (
    <section aria-labelledby="messages-title">
      <h1 id="messages-title">Messages</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(form);
        }}
      >
        {field('eventId', 'Event id')}
        {field('tag', 'Tag')}
        {field('eventType', 'Event type')}
        <button type="submit">Search</button>
      </form>
      {found.error ? <Problem error={found.error} onRetry={found.reload} /> : null}
      {found.data && found.data.data.length === 0 ? <EmptyState title="No messages match" /> : null}
      {found.data && found.data.data.length > 0 ? (
        <table className="data-table" aria-label="Messages">
          <thead>
            <tr>
              <th>Message</th>
              <th>Event type</th>
              <th>Event id</th>
              <th>Sent</th>
            </tr>
          </thead>
          <tbody>
            {found.data.data.map((m) => (
              <tr key={m.id}>
                <td>
                  <a href={href('messages', m.appId, m.id)}>{m.id}</a>
                </td>
                <td>{m.eventType}</td>
                <td>{m.eventId ?? '—'}</td>
                <td>{formatDate(m.timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function MessagePage({ appId, msgId }: { appId: string; msgId: string }) {
  const attempts = useApi(`attempts:${msgId}`, (api) =>
    api.get<Page<Attempt>>(
      `/api/v1/app/${encodeURIComponent(appId)}/attempt/msg/${encodeURIComponent(msgId)}`,
    ),
  );
  return (
    <section aria-labelledby="message-title">
      <h1 id="message-title">Message {msgId}</h1>
      {attempts.error ? <Problem error={attempts.error} onRetry={attempts.reload} /> : null}
      {attempts.data && attempts.data.data.length === 0 ? <EmptyState title="No attempts yet" /> : null}
      <ul className="attempts" aria-label="Attempts">
        {attempts.data?.data.map((a) => (
          <li key={a.id} className="attempt">
            <Badge tone={a.statusText === 'success' ? 'ok' : 'bad'}>{a.statusText}</Badge> HTTP{' '}
            {a.responseStatusCode} · {a.responseDurationMs} ms · {a.endpointId} · {formatDate(a.timestamp)}
          </li>
        ))}
      </ul>
    </section>
  );
}

function DeadLettersPage() {
  const session = useSession();
  const [form, setForm] = useState({ application: '', eventType: '', statusCodeClass: '' });
  const [filter, setFilter] = useState(form);
  const [task, setTask] = useState<Task>();
  const [error, setError] = useState<ApiError>();
  const letters = useApi(`dead:${JSON.stringify(filter)}:${task?.status ?? ''}`, (api) =>
    api.get<Page<DeadLetter>>('/api/v1/dead-letter', {
      application: filter.application,
      event_types: filter.eventType,
      status_code_class: filter.statusCodeClass,
      limit: 100,
    }),
  );
  // Follow a running redrive until it is over.
  useEffect(() => {
    if (task?.status !== 'running') return;
    const timer = window.setTimeout(() => {
      session.api
        .get<Task>(`/api/v1/background-task/${task.id}`)
        .then(setTask)
        .catch((e: unknown) => setError(e as ApiError));
    }, 500);
    return () => window.clearTimeout(timer);
  }, [task, session]);
  const redrive = () => {
    setError(undefined);
    session.api
      .post<Task>('/api/v1/dead-letter/redrive', {
        ...(filter.application ? { application: filter.application } : {}),
        ...(filter.eventType ? { eventTypes: [filter.eventType] } : {}),
        ...(filter.statusCodeClass ? { statusCodeClass: Number(filter.statusCodeClass) } : {}),
      })
      .then(setTask)
      .catch((e: unknown) => setError(e as ApiError));
  };
  const total = task?.data.total ?? 0;
  const processed = task?.data.processed ?? 0;
  return (
    <section aria-labelledby="dead-title">
      <h1 id="dead-title">Dead letters</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(form);
        }}
      >
        <label>
          Application{' '}
          <input
            value={form.application}
            onChange={(e) => setForm({ ...form, application: e.target.value })}
          />
        </label>
        <label>
          Event type{' '}
          <input value={form.eventType} onChange={(e) => setForm({ ...form, eventType: e.target.value })} />
        </label>
        <label>
          Last response{' '}
          <select
            value={form.statusCodeClass}
            onChange={(e) => setForm({ ...form, statusCodeClass: e.target.value })}
          >
            <option value="">any</option>
            <option value="0">no response</option>
            <option value="400">4xx</option>
            <option value="500">5xx</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {letters.error ? <Problem error={letters.error} onRetry={letters.reload} /> : null}
      {error ? <Problem error={error} /> : null}
      <p>
        <button type="button" className="primary" onClick={redrive} disabled={task?.status === 'running'}>
          Redrive all matching
        </button>
      </p>
      {task ? (
        <div role="status" aria-live="polite">
          <progress
            max={Math.max(total, 1)}
            value={task.status === 'finished' ? Math.max(total, 1) : processed}
            aria-label="Redrive progress"
          />
          <p className="small">
            {task.status === 'finished'
              ? `Redrive finished: ${task.data.redriven ?? 0} of ${total} dead letters sent again.`
              : task.status === 'failed'
                ? 'The redrive failed; try again.'
                : `Redriving: ${processed} of ${total}…`}
          </p>
        </div>
      ) : null}
      {letters.data && letters.data.data.length === 0 ? <EmptyState title="No dead letters match" /> : null}
      {letters.data && letters.data.data.length > 0 ? (
        <table className="data-table" aria-label="Dead letters">
          <thead>
            <tr>
              <th>Message</th>
              <th>Event type</th>
              <th>Endpoint</th>
              <th>Last response</th>
              <th>Attempts</th>
              <th>Failed</th>
            </tr>
          </thead>
          <tbody>
            {letters.data.data.map((d) => (
              <tr key={d.id}>
                <td>
                  <a href={href('messages', d.appId, d.msgId)}>{d.msgId}</a>
                </td>
                <td>{d.eventType}</td>
                <td className="url">{d.endpointUrl}</td>
                <td>{d.lastResponseStatusCode ? `HTTP ${d.lastResponseStatusCode}` : 'no response'}</td>
                <td>{d.attempts}</td>
                <td>{formatDate(d.failedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function EventTypesPage() {
  const types = useApi('event-types', (api) =>
    api.get<Page<{ name: string; description: string; archived: boolean }>>('/api/v1/event-type', {
      limit: 250,
    }),
  );
  return (
    <section aria-labelledby="types-title">
      <h1 id="types-title">Event types</h1>
      {types.error ? <Problem error={types.error} onRetry={types.reload} /> : null}
      {types.data && types.data.data.length === 0 ? <EmptyState title="No event types" /> : null}
      <ul className="cards">
        {types.data?.data.map((t) => (
          <li key={t.name} className="card">
            <p className="card-title">{t.name}</p>
            <p className="small muted">{t.description}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
