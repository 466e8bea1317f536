import { Controller, Get, HttpCode, Injectable, Logger, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PrismaService } from '@app/db';
import { JobProducer } from '@app/queue';
import { AdminOnly, Public } from '../auth/auth.decorators';

type ComponentStatus = 'ok' | 'error';

/** A component's check as the operator sees it: the status, how long it took and why it failed. */
interface ComponentCheck {
  status: ComponentStatus;
  durationMs: number;
  error?: string;
}

/** Each readiness check, with a deadline; failures are logged with their cause. */
@Injectable()
export class ReadinessChecks {
  private readonly logger = new Logger(ReadinessChecks.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobProducer,
  ) {}

  async run(): Promise<{ database: ComponentCheck; redis: ComponentCheck }> {
    const [database, redis] = await Promise.all([
      this.check('database', () => this.prisma.ping()),
      this.check('redis', () => this.jobs.ping()),
    ]);
    return { database, redis };
  }

  private async check(
    component: string,
    probe: () => Promise<void>,
    timeoutMs = 2_000,
  ): Promise<ComponentCheck> {
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { status: 'ok', durationMs: durationMs() };
    } catch (error) {
      this.logger.warn({ err: error, component }, 'readiness check failed');
      return {
        status: 'error',
        durationMs: durationMs(),
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

function overall(database: ComponentStatus, redis: ComponentStatus): 'ok' | 'degraded' | 'unavailable' {
  return database !== 'ok' ? 'unavailable' : redis !== 'ok' ? 'degraded' : 'ok';
}

@ApiTags('Health')
@Public()
@Controller('api/v1/health')
export class HealthController {
  constructor(private readonly checks: ReadinessChecks) {}

  /** Liveness, as Svix answers it: 204 while the process serves requests. */
  @Get()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The API process is up.' })
  live(): void {}

  /**
   * Readiness. PostgreSQL is what makes an accept durable: without it the API cannot take messages (503).
   * Without Redis it still can: messages are committed and the workers' reconciler queues them once Redis is
   * back, so the answer is 200 `degraded` and a load balancer keeps sending traffic. Only a status per
   * component is public; why a check failed goes to the logs and to `GET /admin/v1/health`.
   */
  @Get('ready')
  @ApiOkResponse({ description: '{status: ok | degraded, database, redis}' })
  @ApiServiceUnavailableResponse({
    description: 'PostgreSQL is down: {status: unavailable, database, redis}',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const { database, redis } = await this.checks.run();
    const status = overall(database.status, redis.status);
    void reply.status(status === 'unavailable' ? 503 : 200);
    return { status, database: database.status, redis: redis.status };
  }
}

/** The same checks with their details (errors name hosts and ports), for the operator only. */
@ApiTags('Admin: health')
@ApiBearerAuth('admin')
@AdminOnly()
@Controller('admin/v1/health')
export class AdminHealthController {
  constructor(private readonly checks: ReadinessChecks) {}

  @Get()
  @ApiOkResponse({
    description: '{status, database: {status, durationMs, error?}, redis: {status, durationMs, error?}}',
  })
  async details() {
    const { database, redis } = await this.checks.run();
    return { status: overall(database.status, redis.status), database, redis };
  }
}
