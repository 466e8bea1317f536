import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Metrics } from '@app/delivery';
import { JobProducer, QUEUES, QueueName } from '@app/queue';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/**
 * The worker's Prometheus listener on WORKER_METRICS_PORT (GET /metrics, nothing else; off when 0). It is
 * meant for the internal network only, like WORKER_HEALTH_PORT, so it asks for no token. Queue depth and lag
 * are read from Redis when Prometheus scrapes (two round trips per queue), never counted per job.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server: Server | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly jobs: JobProducer,
  ) {
    const queues = Object.values(QUEUES);
    new Gauge({
      name: 'hookrelay_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, prioritized, failed), read on scrape.',
      labelNames: ['queue', 'state'] as const,
      registers: [metrics.registry],
      collect: async function () {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => {
            const counts = await jobs.queue(queue).getJobCounts(...QUEUE_STATES);
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
          }),
        ).catch(() => undefined); // Redis down: no queue figures in this scrape, the rest still answers.
      },
    });
    new Gauge({
      name: 'hookrelay_queue_lag_seconds',
      help: 'How long the oldest waiting job of each queue has been due (0 when none waits), read on scrape.',
      labelNames: ['queue'] as const,
      registers: [metrics.registry],
      collect: async function () {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => this.set({ queue }, await oldestWaitSeconds(jobs, queue))),
        ).catch(() => undefined);
      },
    });
  }

  /** The bound port; undefined when off. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.worker.metricsPort;
    if (!port) return;
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
        return;
      }
      this.metrics.exposition().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => {
          this.logger.warn({ err: error }, 'metrics scrape failed');
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject).listen(port, '0.0.0.0', () => resolve());
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function oldestWaitSeconds(jobs: JobProducer, queue: QueueName): Promise<number> {
  // asc = true: the oldest end of the wait list, the next job a worker takes.
  const [oldest] = await jobs.queue(queue).getJobs(['wait'], 0, 0, true);
  if (!oldest) return 0;
  const dueAt = oldest.timestamp + (oldest.delay ?? 0);
  return Math.max(0, Date.now() - dueAt) / 1000;
}
