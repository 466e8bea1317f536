import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  BackgroundTaskRepository,
  DeadLetterFilter,
  DeadLetterRecord,
  DeadLetterRepository,
  EndpointRepository,
  mapPage,
  Page,
  PageQuery,
} from '@app/db';
import type { RedriveParams, RedriveProgress } from '@app/delivery';
import { dashboardRange, splitUrlCredentials, ValidationError } from '@app/domain';
import { assertEndpointEnabled } from '../common/endpoint-enabled';
import { FilterResolver } from '../common/filter-resolver';
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
    private readonly filters: FilterResolver,
    private readonly endpoints: EndpointRepository,
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
    const resolved = await this.filters.resolve(tenantId, input, loc);
    return { ...range, ...resolved, ...(input.statusCodes ? { statusCodes: input.statusCodes } : {}) };
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
    // No user info, even from a row written before it was split off the URL.
    endpointUrl: splitUrlCredentials(r.endpointUrl).url,
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
