import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PrismaService } from '@app/db';
import { JobProducer } from '@app/queue';
import { Public } from '../auth/auth.decorators';

type ComponentStatus = { status: 'ok' } | { status: 'error'; error: string };

@ApiTags('Health')
@Public()
@Controller('api/v1/health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly jobs: JobProducer,
  ) {}

  /** Liveness, as Svix answers it: 204 while the process serves requests. */
  @Get()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The API process is up.' })
  live(): void {}

  /** Readiness: PostgreSQL and Redis both answer. 200 when ready, 503 naming what is down. */
  @Get('ready')
  @ApiOkResponse({ description: '{status, database, redis}' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [database, redis] = await Promise.all([
      check(() => this.prisma.ping()),
      check(() => this.jobs.ping()),
    ]);
    const ok = database.status === 'ok' && redis.status === 'ok';
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', database, redis };
  }
}

async function check(probe: () => Promise<void>, timeoutMs = 2_000): Promise<ComponentStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'error', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
