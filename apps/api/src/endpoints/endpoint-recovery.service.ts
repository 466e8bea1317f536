import { Injectable } from '@nestjs/common';
import {
  ApplicationRepository,
  BackgroundTaskRepository,
  DeliveryCounts,
  DeliveryLogRepository,
  EndpointRecord,
  EndpointRepository,
  EventTypeRepository,
  EventTypeSchemas,
} from '@app/db';
import type { RecoverParams, ReplayParams } from '@app/delivery';
import { MessageIngestService } from '@app/delivery';
import { DomainError, ValidationError } from '@app/domain';
import { assertEndpointEnabled } from '../common/endpoint-enabled';
import { BackgroundTaskOut, toBackgroundTaskOut } from '../background-tasks/background-task.dto';
import type {
  EndpointStatsQueryDto,
  EventExampleInDto,
  RecoverInDto,
  ReplayInDto,
} from './endpoint-recovery.dto';

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Svix: recover reaches 14 days back, plus 5 minutes so `now - 14 days` works despite clock skew. */
const RECOVERY_MAX_AGE_MS = 14 * DAY_MS + 5 * MINUTE_MS;
/** Svix: stats cover at most 28 days (the default range), plus 5 minutes of clock skew. */
const STATS_DEFAULT_RANGE_MS = 28 * DAY_MS;
const STATS_MAX_RANGE_MS = STATS_DEFAULT_RANGE_MS + 5 * MINUTE_MS;

/** Svix's built-in test event: it needs no event type, and carries this payload. */
const PING_EVENT_TYPE = 'svix.ping';
const PING_PAYLOAD = '{"success": true}';
/** What an example message carries when its event type's schema has no example. */
const FALLBACK_EXAMPLE_PAYLOAD = '{"data": {}}';

export type EndpointStatsOut = DeliveryCounts;

export interface ExampleMessageOut {
  id: string;
  eventType: string;
  eventId: null;
  payload: unknown;
  channels: null;
  tags: null;
  deliverAt: null;
  timestamp: Date;
}

/**
 * Svix's endpoint recovery routes: recover failed deliveries, replay missing ones, delivery stats, and an
 * example message. Recover and replay-missing start a background task the worker runs (up to RECOVERY_LIMIT
 * deliveries each, as Svix caps them; calling again continues) and answer it running: its progress is at
 * `GET /api/v1/background-task/{id}`.
 */
@Injectable()
export class EndpointRecoveryService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly eventTypes: EventTypeRepository,
    private readonly log: DeliveryLogRepository,
    private readonly tasks: BackgroundTaskRepository,
    private readonly ingest: MessageIngestService,
  ) {}

  /** Re-sends every failed delivery of the endpoint whose message was created in [since, until). */
  async recover(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    input: RecoverInDto,
  ): Promise<BackgroundTaskOut> {
    checkWindow(input);
    const endpoint = await this.find(tenantId, appIdOrUid, endpointIdOrUid);
    assertEndpointEnabled(endpoint);
    const params: RecoverParams = {
      endpointId: endpoint.id,
      since: input.since.toISOString(),
      until: input.until?.toISOString() ?? null,
    };
    const { task } = await this.tasks.create(tenantId, {
      task: 'endpoint.recover',
      params: { ...params },
      data: { messagesSent: 0 },
    });
    return toBackgroundTaskOut(task);
  }

  /** Sends the endpoint the messages of [since, until) it never got, as its filters would have routed them. */
  async replayMissing(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    input: ReplayInDto,
  ): Promise<BackgroundTaskOut> {
    checkWindow(input);
    const endpoint = await this.find(tenantId, appIdOrUid, endpointIdOrUid);
    assertEndpointEnabled(endpoint);
    const params: ReplayParams = {
      id: endpoint.id,
      applicationId: endpoint.applicationId,
      filterTypes: endpoint.filterTypes,
      channels: endpoint.channels,
      since: input.since.toISOString(),
      until: input.until?.toISOString() ?? null,
    };
    const { task } = await this.tasks.create(tenantId, {
      task: 'endpoint.replay',
      params: { ...params },
      data: { messagesSent: 0 },
    });
    return toBackgroundTaskOut(task);
  }

  /** Deliveries created in [since, until] by status; by default the last 28 days, Svix's limit. */
  async stats(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    query: EndpointStatsQueryDto,
  ): Promise<EndpointStatsOut> {
    const now = new Date();
    const until = query.until ?? now;
    if (until > now) throw invalidRange("'until' cannot be in the future.");
    const since = query.since ?? new Date(until.getTime() - STATS_DEFAULT_RANGE_MS);
    if (since > until) throw invalidRange("'since' must not be after 'until'.");
    if (until.getTime() - since.getTime() > STATS_MAX_RANGE_MS) {
      throw invalidRange(`'since' cannot be more than 28 days before ${until.toISOString()}.`);
    }
    const endpoint = await this.find(tenantId, appIdOrUid, endpointIdOrUid);
    return this.log.countDeliveries(tenantId, endpoint.id, since, until);
  }

  /**
   * A message of `eventType` with its schema's example as payload (`svix.ping` needs no event type), sent to
   * this endpoint only, whatever its filters. It is an ordinary message otherwise: stored, signed, retried.
   */
  async sendExample(
    tenantId: string,
    appIdOrUid: string,
    endpointIdOrUid: string,
    input: EventExampleInDto,
  ): Promise<ExampleMessageOut> {
    const endpoint = await this.find(tenantId, appIdOrUid, endpointIdOrUid);
    assertEndpointEnabled(endpoint);
    const payload = await this.examplePayload(tenantId, input);
    const sent = await this.ingest.send(tenantId, endpoint.applicationId, {
      eventType: input.eventType,
      payload,
      onlyEndpointId: endpoint.id,
    });
    return {
      id: sent.id,
      eventType: input.eventType,
      eventId: null,
      payload: JSON.parse(payload) as unknown,
      channels: null,
      tags: null,
      deliverAt: null,
      timestamp: sent.createdAt,
    };
  }

  private async examplePayload(tenantId: string, input: EventExampleInDto): Promise<string> {
    if (input.eventType === PING_EVENT_TYPE) return PING_PAYLOAD;
    const eventType = await this.eventTypes.findOptional(tenantId, input.eventType);
    if (!eventType) throw DomainError.notFound('EventType');
    const example = schemaExample(eventType.schemas, input.exampleIndex);
    if (example === undefined) return FALLBACK_EXAMPLE_PAYLOAD;
    if (typeof example !== 'object' || example === null || Array.isArray(example)) {
      throw ValidationError.field(
        ['body', 'eventType'],
        "The event type's schema example is not a JSON object, so it cannot be a webhook payload.",
      );
    }
    return JSON.stringify(example);
  }

  private async find(tenantId: string, appIdOrUid: string, endpointIdOrUid: string): Promise<EndpointRecord> {
    const app = await this.applications.find(tenantId, appIdOrUid);
    return this.endpoints.find(tenantId, app.id, endpointIdOrUid);
  }
}

function checkWindow(input: { since: Date; until?: Date | null }): void {
  if (input.since.getTime() < Date.now() - RECOVERY_MAX_AGE_MS) {
    throw ValidationError.field(['body', 'since'], 'Cannot recover messages more than 14 days old.');
  }
  if (input.until && input.until <= input.since) {
    throw ValidationError.field(['body', 'until'], 'until must be later than since.');
  }
}

function invalidRange(detail: string): DomainError {
  return new DomainError(400, 'invalid_range', detail);
}

/**
 * The example of the latest schema version: its `examples[index]` (the first by default), else its
 * `example`; undefined when it has neither.
 */
function schemaExample(schemas: EventTypeSchemas | null, index: number | undefined): unknown {
  if (!schemas) return undefined;
  const latest = Object.keys(schemas).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a))[0];
  const schema = latest === undefined ? undefined : schemas[latest];
  if (typeof schema !== 'object' || schema === null) return undefined;
  const { examples, example } = schema as { examples?: unknown; example?: unknown };
  if (Array.isArray(examples) && examples.length > 0) {
    const i = index ?? 0;
    if (i >= examples.length) {
      throw ValidationError.field(
        ['body', 'exampleIndex'],
        `exampleIndex must be less than ${examples.length}, the number of examples in the schema`,
      );
    }
    return examples[i] as unknown;
  }
  return example;
}
