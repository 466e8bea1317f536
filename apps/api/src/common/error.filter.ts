import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { errorCodes } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isUnstorableText } from '@app/db';
import { DomainError, ValidationError } from '@app/domain';

/** Seconds a client is asked to wait when the database is down (503). */
const UNAVAILABLE_RETRY_AFTER_S = 5;

interface ErrorBody {
  code: string;
  detail: unknown;
  [extra: string]: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/**
 * Fastify rejects bad bodies before Nest routes them, and Nest re-throws those as a plain
 * HttpException(message, status): the message is all that tells them apart.
 */
const FASTIFY_REJECTIONS = new Map<string, { code: string; detail: string }>([
  [
    new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY().message,
    { code: 'invalid_json', detail: 'The request body is not valid JSON.' },
  ],
  [
    new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY().message,
    { code: 'invalid_json', detail: 'The request body is empty; send a JSON object.' },
  ],
  [
    new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE().message,
    { code: 'payload_too_large', detail: 'The request body is larger than this server accepts.' },
  ],
  [
    new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE().message,
    { code: 'unsupported_media_type', detail: 'Send the request body as application/json.' },
  ],
  [
    new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH().message,
    { code: 'bad_request', detail: 'The request body size does not match its Content-Length header.' },
  ],
]);

/**
 * The one exit for errors: `{code, detail}` with the right status. Anything unexpected becomes a 500
 * without internals, logged with the request id so an operator can find it.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (isDatabaseUnavailable(exception)) {
      // Nothing was committed (or the client cannot know): never a 2xx, and a status that says "try again".
      this.logger.warn({ err: exception, reqId: request.id }, 'database unavailable');
      void reply
        .status(503)
        .header('content-type', 'application/json; charset=utf-8')
        .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S))
        .send({
          code: 'temporarily_unavailable',
          detail: 'The service cannot reach its database right now; nothing was stored. Retry shortly.',
        });
      return;
    }
    const [status, body] = this.shape(exception, request);
    if (status >= 500) {
      this.logger.error({ err: exception, reqId: request.id }, 'unhandled error');
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private shape(exception: unknown, request: FastifyRequest): [number, ErrorBody] {
    if (exception instanceof ValidationError) {
      return [422, { code: exception.code, detail: exception.issues }];
    }
    if (exception instanceof DomainError) {
      return [exception.status, { ...exception.extra, code: exception.code, detail: exception.message }];
    }
    if (isUnstorableText(exception)) {
      // PostgreSQL refuses U+0000 in text and in jsonb: the input is at fault, whichever field carried it.
      return [
        422,
        {
          code: 'invalid_text',
          detail:
            'A value in the request contains the NUL character (U+0000), which cannot be stored; remove it.',
        },
      ];
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const rejection = FASTIFY_REJECTIONS.get(exception.message);
      if (rejection) return [status, { ...rejection }];
      return [status, { code: HTTP_CODES[status] ?? 'bad_request', detail: httpDetail(exception) }];
    }
    return [
      500,
      {
        code: 'internal_error',
        detail: `Something went wrong on our side. Request id: ${String(request.id)}.`,
      },
    ];
  }
}

function httpDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
