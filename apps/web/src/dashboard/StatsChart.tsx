/** One bucket of GET /api/v1/stats/delivery. */
export interface ChartBucket {
  start: string;
  success: number;
  fail: number;
  p95: number | null;
}

const WIDTH = 720;
const HEIGHT = 180;
const PAD = 24;

/**
 * Stacked bars of successful and failed attempts per bucket, in plain SVG (no chart library: this one chart
 * does not justify its weight). The numbers are also in a visually hidden table for screen readers.
 */
export function StatsChart({ buckets, title }: { buckets: ChartBucket[]; title: string }) {
  const max = Math.max(1, ...buckets.map((b) => b.success + b.fail));
  const slot = (WIDTH - 2 * PAD) / Math.max(1, buckets.length);
  const bar = Math.max(1, slot * 0.8);
  const y = (n: number) => ((HEIGHT - 2 * PAD) * n) / max;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${title}: ${buckets.reduce((n, b) => n + b.success, 0)} successful and ${buckets.reduce((n, b) => n + b.fail, 0)} failed attempts`}
      >
        <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} className="chart-axis" />
        <text x={PAD} y={PAD - 8} className="chart-label">
          {max}
        </text>
        {buckets.map((b, i) => {
          const x = PAD + i * slot + (slot - bar) / 2;
          const ok = y(b.success);
          const bad = y(b.fail);
          return (
            <g key={b.start}>
              <title>{`${new Date(b.start).toLocaleString()}: ${b.success} ok, ${b.fail} failed${b.p95 === null ? '' : `, p95 ${Math.round(b.p95)} ms`}`}</title>
              <rect x={x} y={HEIGHT - PAD - ok} width={bar} height={ok} className="chart-ok" />
              <rect x={x} y={HEIGHT - PAD - ok - bad} width={bar} height={bad} className="chart-bad" />
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted">
        <span className="legend legend-ok">successful</span> <span className="legend legend-bad">failed</span>{' '}
        attempts per interval
      </figcaption>
    </figure>
  );
}
