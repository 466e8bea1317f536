import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  ApplicationRepository,
  BackgroundTaskRepository,
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterRepository,
  EndpointRepository,
  EventTypeRepository,
  mapPage,
  Page,
  PageQuery,
} from '@app/db';
import type { RedriveParams, RedriveProgress } from '@app/delivery';
import { dashboardRange, ValidationError, ValidationIssue } from '@app/domain';
import { assertEndpointEnabled } from '../common/endpoint-enabled';
import { BackgroundTaskOut, toBackgroundTaskOut } from '../background-tasks/background-task.dto';

/** The filters as the caller gave them (ids or uids), from the query string or the redrive body. */
export interface DeadLetterFilterIn {
  application?: string;
  endpoint?: string;
  eventTypes?: string[];
  since?: Date;
  until?: Date;
  statusCodes?: { min: number; max: number };
}

export interface DeadLetterOut {
  id: string;
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUrl: string;
  msgId: string;
  eventType: string;
  eventId: string | null;
  attempts: number;
  lastResponseStatusCode: number | null;
  lastErrorKind: string | null;
  createdAt: Date;
  failedAt: Date;
}

/**
 * The dashboard's dead letters: deliveries that failed for good, across every application of the tenant, and
 * their bulk redrive as a background task. Filters naming what the tenant does not have are refused with 422
 * `unknown_filter_value` naming each, so a typo never reads as "no dead letters".
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly eventTypes: EventTypeRepository,
    private readonly deadLetters: DeadLetterRepository,
    private readonly tasks: BackgroundTaskRepository,
  ) {}

  async list(tenantId: string, input: DeadLetterFilterIn, query: PageQuery): Promise<Page<DeadLetterOut>> {
    const filter = await this.resolve(tenantId, input, 'query');
    const page = await this.deadLetters.list(tenantId, filter, query);
    return mapPage(page, toOut);
  }

  /**
   * Starts redriving the dead letters the filters select, as of now: answers the running task (`created`), the
   * running task of an identical earlier submit (`created: false`), or, when nothing matches, a task already
   * finished with zero.
   */
  async redrive(
    tenantId: string,
    input: DeadLetterFilterIn & { toEndpoint?: string },
  ): Promise<{ task: BackgroundTaskOut; started: boolean }> {
    const filter = await this.resolve(tenantId, input, 'body');
    let toEndpointId: string | null = null;
    if (input.toEndpoint) {
      if (!filter.applicationId) {
        throw ValidationError.coded(
          'redrive_target_needs_application',
          ['body', 'toEndpoint'],
          'Redriving to another endpoint needs the application filter: the endpoint must be of that application.',
        );
      }
      const target = await this.endpoints.findOptional(tenantId, filter.applicationId, input.toEndpoint);
      if (!target) {
        throw ValidationError.coded(
          'unknown_filter_value',
          ['body', 'toEndpoint'],
          `toEndpoint ${JSON.stringify(input.toEndpoint)} is not an endpoint of the application.`,
        );
      }
      assertEndpointEnabled(target);
      toEndpointId = target.id;
    }
    // What failed up to now: dead letters of later failures (a redriven one failing again included) are not part.
    const until = new Date(Math.min(filter.until.getTime(), Date.now()));
    const frozen: DeadLetterFilter = { ...filter, until };
    const total = await this.deadLetters.count(tenantId, frozen);
    const params: RedriveParams = {
      filter: { ...frozen, since: frozen.since.toISOString(), until: until.toISOString() },
      toEndpointId,
    };
    const data: RedriveProgress = { total, processed: 0, redriven: 0 };
    const { task, created } = await this.tasks.create(tenantId, {
      task: 'dead-letter.redrive',
      params: { ...params },
      data: { ...data },
      dedupeKey: dedupeKey(filter, input, toEndpointId),
      finished: total === 0,
    });
    return { task: toBackgroundTaskOut(task), started: created && total > 0 };
  }

  private async resolve(
    tenantId: string,
    input: DeadLetterFilterIn,
    loc: 'query' | 'body',
  ): Promise<DeadLetterFilter> {
    const range = dashboardRange(input, loc);
    const issues: ValidationIssue[] = [];
    const unknown = (field: string, msg: string) =>
      issues.push({ loc: [loc, field], msg, type: 'unknown_filter_value' });
    let applicationId: string | undefined;
    let endpointId: string | undefined;
    if (input.application) {
      const app = await this.applications.findOptional(tenantId, input.application);
      if (app) applicationId = app.id;
      else unknown('application', `application ${JSON.stringify(input.application)} is not one of yours.`);
    }
    if (input.endpoint) {
      if (!input.application) {
        throw ValidationError.coded(
          'endpoint_needs_application',
          [loc, 'endpoint'],
          'The endpoint filter needs the application filter: give the application the endpoint belongs to.',
        );
      }
      const endpoint = applicationId
        ? await this.endpoints.findOptional(tenantId, applicationId, input.endpoint)
        : undefined;
      if (endpoint) endpointId = endpoint.id;
      else if (applicationId) {
        unknown(
          'endpoint',
          `endpoint ${JSON.stringify(input.endpoint)} is not an endpoint of the application.`,
        );
      }
    }
    const eventTypes = [...new Set(input.eventTypes ?? [])];
    const missing: string[] = [];
    for (const name of eventTypes) {
      if (!(await this.eventTypes.findOptional(tenantId, name))) missing.push(name);
    }
    if (missing.length > 0) {
      unknown(
        loc === 'query' ? 'event_types' : 'eventTypes',
        `unknown event types: ${missing.map((n) => JSON.stringify(n)).join(', ')}.`,
      );
    }
    if (issues.length > 0) throw new ValidationError(issues, 'unknown_filter_value');
    return {
      ...range,
      ...(applicationId ? { applicationId } : {}),
      ...(endpointId ? { endpointId } : {}),
      ...(eventTypes.length ? { eventTypes } : {}),
      ...(input.statusCodes ? { statusCodes: input.statusCodes } : {}),
    };
  }
}

/** The same filters as given (not the defaults, which move with the clock) and the same target: the same key. */
function dedupeKey(filter: DeadLetterFilter, input: DeadLetterFilterIn, toEndpointId: string | null): string {
  const key = JSON.stringify([
    filter.applicationId ?? null,
    filter.endpointId ?? null,
    [...(filter.eventTypes ?? [])].sort(),
    input.since?.toISOString() ?? null,
    input.until?.toISOString() ?? null,
    filter.statusCodes ?? null,
    toEndpointId,
  ]);
  return createHash('sha256').update(key).digest('base64url');
}

function toOut(r: DeadLetterRecord): DeadLetterOut {
  return {
    id: r.id,
    appId: r.applicationId,
    appUid: r.applicationUid,
    endpointId: r.endpointId,
    endpointUrl: r.endpointUrl,
    msgId: r.messageId,
    eventType: r.eventType,
    eventId: r.eventId,
    attempts: r.attemptCount,
    lastResponseStatusCode: r.lastResponseStatusCode,
    lastErrorKind: r.lastErrorKind,
    createdAt: r.createdAt,
    failedAt: r.failedAt,
  };
}
