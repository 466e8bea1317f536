import { Controller, Get, HttpCode, Logger, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PrismaService } from '@app/db';
import { JobProducer } from '@app/queue';
import { Public } from '../auth/auth.decorators';

type ComponentStatus = 'ok' | 'error';

@ApiTags('Health')
@Public()
@Controller('api/v1/health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobProducer,
  ) {}

  /** Liveness, as Svix answers it: 204 while the process serves requests. */
  @Get()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The API process is up.' })
  live(): void {}

  /**
   * Readiness. PostgreSQL is what makes an accept durable: without it the API cannot take messages (503).
   * Without Redis it still can: messages are committed and the workers' reconciler queues them once Redis is
   * back, so the answer is 200 `degraded` and a load balancer keeps sending traffic. Only a status per
   * component is public; why a check failed goes to the logs.
   */
  @Get('ready')
  @ApiOkResponse({ description: '{status: ok | degraded, database, redis}' })
  @ApiServiceUnavailableResponse({
    description: 'PostgreSQL is down: {status: unavailable, database, redis}',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [database, redis] = await Promise.all([
      this.check('database', () => this.prisma.ping()),
      this.check('redis', () => this.jobs.ping()),
    ]);
    const status = database !== 'ok' ? 'unavailable' : redis !== 'ok' ? 'degraded' : 'ok';
    void reply.status(status === 'unavailable' ? 503 : 200);
    return { status, database, redis };
  }

  private async check(
    component: string,
    probe: () => Promise<void>,
    timeoutMs = 2_000,
  ): Promise<ComponentStatus> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return 'ok';
    } catch (error) {
      this.logger.warn({ err: error, component }, 'readiness check failed');
      return 'error';
    } finally {
      clearTimeout(timer);
    }
  }
}
