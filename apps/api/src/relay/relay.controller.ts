import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { RelayHub } from './relay.hub';

/** Headers passed down to the CLI: what a webhook receiver reads. Hop-by-hop and proxy headers stay here. */
const FORWARDED = /^(content-type|user-agent|webhook-.+|svix-.+|x-[a-z0-9-]+)$/;
const NOT_FORWARDED = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'x-request-id',
]);

/**
 * Where `hookrelay listen` endpoints point. The token in the path is the CLI's (unguessable) relay token; the
 * CLI checks each request's signature with the endpoint's secret before it forwards anything to localhost.
 */
@ApiTags('Relay')
@Public()
@Controller('api/v1/relay/in')
export class RelayController {
  constructor(private readonly hub: RelayHub) {}

  @Post(':token')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async inbound(
    @Param('token') token: string,
    @Req() request: FastifyRequest & { rawBody?: Buffer },
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && FORWARDED.test(name) && !NOT_FORWARDED.has(name))
        headers[name] = value;
    }
    const relayed = await this.hub.forward(token, headers, request.rawBody ?? Buffer.alloc(0));
    if (relayed.contentType) void reply.header('content-type', relayed.contentType);
    await reply.status(relayed.status).send(relayed.body);
  }
}
