import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, ValidationError } from '@app/domain';

/**
 * The API's only body parser: `application/json`, kept as raw bytes too (`req.rawBody`, the payload as sent)
 * and refused with 422 `json_too_deep` before parsing when it nests deeper than MAX_JSON_DEPTH, so no stored
 * message can later fail to serialise. Other media types have no parser, so Fastify answers 415 (the API
 * speaks JSON only).
 * Registered before Nest initialises, which then leaves the body parsers alone.
 */
export function registerJsonBodyParser(adapter: FastifyAdapter, fastify: FastifyInstance): void {
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  adapter.useBodyParser(
    'application/json',
    true,
    { bodyLimit },
    (req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const text = body.toString('utf8');
      if (jsonNestsDeeperThan(text)) {
        return done(
          ValidationError.coded(
            'json_too_deep',
            ['body'],
            `The JSON body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
          ),
        );
      }
      void parse(req, text, done);
    },
  );
}
