import { Injectable } from '@nestjs/common';
import {
  DeliveryStats,
  DeliveryStatsRepository,
  mapPage,
  MessageSearchRepository,
  Page,
  PageQuery,
  StatsInterval,
} from '@app/db';
import { dashboardRange, ValidationError } from '@app/domain';
import { FilterResolver } from '../common/filter-resolver';

const INTERVAL_MS: Record<StatsInterval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** A chart has at most this many buckets; a longer range needs a longer interval. */
const MAX_BUCKETS = 1_500;
const DEFAULT_STATS_RANGE_MS = 24 * 3_600_000;

export interface StatsQuery {
  application?: string;
  endpoint?: string;
  since?: Date;
  until?: Date;
  interval: StatsInterval;
}

export interface SearchQuery extends PageQuery {
  application?: string;
  event_id?: string;
  tag?: string;
  event_types?: string[];
  since?: Date;
  until?: Date;
}

export interface FoundMessageOut {
  id: string;
  appId: string;
  appUid: string | null;
  eventType: string;
  eventId: string | null;
  channels: string[] | null;
  tags: string[] | null;
  timestamp: Date;
}

/** The dashboard's read side beyond Svix's routes: delivery statistics over time, and message search. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly filters: FilterResolver,
    private readonly stats: DeliveryStatsRepository,
    private readonly search: MessageSearchRepository,
  ) {}

  /** Over the last 24 hours by default; the range must lie within retention and fit MAX_BUCKETS intervals. */
  async deliveryStats(
    tenantId: string,
    query: StatsQuery,
  ): Promise<DeliveryStats & { since: Date; until: Date; interval: StatsInterval }> {
    const until = query.until ?? new Date();
    const since = query.since ?? new Date(until.getTime() - DEFAULT_STATS_RANGE_MS);
    const range = dashboardRange({ since, until }, 'query');
    if ((range.until.getTime() - range.since.getTime()) / INTERVAL_MS[query.interval] > MAX_BUCKETS) {
      throw ValidationError.field(
        ['query', 'interval'],
        `The range holds more than ${MAX_BUCKETS} ${query.interval}s: choose a longer interval or a shorter range.`,
      );
    }
    const scope = await this.filters.resolve(tenantId, query, 'query');
    const stats = await this.stats.stats(tenantId, scope, range, query.interval);
    return { since: range.since, until: range.until, interval: query.interval, ...stats };
  }

  /** Newest first. Event types need not be in the catalogue here: a message may carry any. */
  async searchMessages(tenantId: string, query: SearchQuery): Promise<Page<FoundMessageOut>> {
    const range = dashboardRange(query, 'query');
    const scope = await this.filters.resolve(
      tenantId,
      { application: query.application, eventTypes: query.event_types },
      'query',
      { checkEventTypes: false, eventTypesField: 'event_types' },
    );
    const page = await this.search.search(
      tenantId,
      { ...range, ...scope, eventId: query.event_id, tag: query.tag },
      query,
    );
    return mapPage(page, (m) => ({
      id: m.id,
      appId: m.applicationId,
      appUid: m.applicationUid,
      eventType: m.eventType,
      eventId: m.eventId,
      channels: m.channels.length ? m.channels : null,
      tags: m.tags.length ? m.tags : null,
      timestamp: m.createdAt,
    }));
  }
}
