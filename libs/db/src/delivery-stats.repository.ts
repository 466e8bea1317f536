import { Injectable } from '@nestjs/common';
import { SqlService } from './sql.service';

export type StatsInterval = 'minute' | 'hour' | 'day';

/** Whose attempts: the whole tenant, one application, or one endpoint (ids resolved by the caller). */
export interface StatsScope {
  applicationId?: string;
  endpointId?: string;
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface StatsBucket extends LatencyPercentiles {
  start: Date;
  success: number;
  fail: number;
}

export interface DeliveryStats {
  buckets: StatsBucket[];
  totals: LatencyPercentiles & { success: number; fail: number };
  /** From a message's due time to the start of its first attempt, in ms. */
  timeToFirstAttempt: LatencyPercentiles;
  /** How long the oldest delivery that is due now has been waiting, in ms (0 when none is). */
  queueLagMs: number;
}

/**
 * Delivery statistics for the dashboard, computed in PostgreSQL over delivery_attempts (by the tenant index on
 * created_at ranges): attempts by outcome and response-time percentiles (percentile_cont) per time bucket,
 * every bucket of the range present (zeros included) so a chart needs no filling.
 */
@Injectable()
export class DeliveryStatsRepository {
  constructor(private readonly sql: SqlService) {}

  async stats(
    tenantId: string,
    scope: StatsScope,
    range: { since: Date; until: Date },
    interval: StatsInterval,
  ): Promise<DeliveryStats> {
    const values: unknown[] = [tenantId, range.since, range.until];
    let where = `a.tenant_id = $1 AND a.created_at >= $2 AND a.created_at < $3`;
    if (scope.endpointId) {
      values.push(scope.endpointId);
      where += ` AND a.endpoint_id = $${values.length}`;
    } else if (scope.applicationId) {
      values.push(scope.applicationId);
      where += ` AND a.endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = $1 AND application_id = $${values.length})`;
    }
    const percentiles = `percentile_cont(0.5) WITHIN GROUP (ORDER BY a.response_duration_ms) AS p50,
                         percentile_cont(0.95) WITHIN GROUP (ORDER BY a.response_duration_ms) AS p95,
                         percentile_cont(0.99) WITHIN GROUP (ORDER BY a.response_duration_ms) AS p99`;
    const outcomes = `count(*) FILTER (WHERE a.status = 'success')::int AS success,
                      count(*) FILTER (WHERE a.status = 'fail')::int AS fail`;
    const step = `$${values.length + 1}::interval`;
    const buckets = await this.sql.query<StatsBucket>(
      `WITH b AS (
         SELECT date_bin(${step}, a.created_at, date_trunc('day', $2::timestamptz)) AS start, ${outcomes},
                ${percentiles}
           FROM delivery_attempts a WHERE ${where} GROUP BY 1
       )
       SELECT s.start, COALESCE(b.success, 0) AS success, COALESCE(b.fail, 0) AS fail, b.p50, b.p95, b.p99
         FROM generate_series(date_bin(${step}, $2::timestamptz, date_trunc('day', $2::timestamptz)),
                              $3::timestamptz - interval '1 microsecond', ${step}) AS s(start)
         LEFT JOIN b ON b.start = s.start
        ORDER BY s.start`,
      [...values, `1 ${interval}`],
    );
    const [totals] = await this.sql.query<DeliveryStats['totals']>(
      `SELECT ${outcomes}, ${percentiles} FROM delivery_attempts a WHERE ${where}`,
      values,
    );
    const [first] = await this.sql.query<LatencyPercentiles>(
      `WITH f AS (
         SELECT greatest(0, extract(epoch FROM (a.created_at - greatest(m.created_at, COALESCE(m.deliver_at, m.created_at))))
                  * 1000 - a.response_duration_ms) AS ms
           FROM delivery_attempts a JOIN messages m ON m.id = a.message_id
          WHERE ${where} AND NOT EXISTS (
                SELECT 1 FROM delivery_attempts p WHERE p.delivery_id = a.delivery_id AND p.id < a.id)
       )
       SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99 FROM f`,
      values,
    );
    const lagValues: unknown[] = [tenantId];
    let lagWhere = `d.tenant_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()`;
    if (scope.endpointId) {
      lagValues.push(scope.endpointId);
      lagWhere += ` AND d.endpoint_id = $2`;
    } else if (scope.applicationId) {
      lagValues.push(scope.applicationId);
      lagWhere += ` AND d.application_id = $2`;
    }
    const [lag] = await this.sql.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM now() - min(d.next_attempt_at)) * 1000)::float8 AS ms FROM deliveries d WHERE ${lagWhere}`,
      lagValues,
    );
    return {
      buckets,
      totals: totals ?? { success: 0, fail: 0, p50: null, p95: null, p99: null },
      timeToFirstAttempt: first ?? { p50: null, p95: null, p99: null },
      queueLagMs: Math.round(lag?.ms ?? 0),
    };
  }
}
