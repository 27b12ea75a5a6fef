import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * A 429 or 503 that tells the client when to come back: CatchAllFilter
 * sets `Retry-After` from it and answers in Nest's usual shape.
 */
export class RetryLaterException extends HttpException {
  constructor(
    status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      { statusCode: status, message, error: status === HttpStatus.TOO_MANY_REQUESTS ? 'Too Many Requests' : 'Service Unavailable' },
      status,
    );
  }
}

/** Whole seconds, at least 1 (RFC 9110 delay-seconds). */
export function setRetryAfter(reply: FastifyReply, exception: RetryLaterException): void {
  reply.header('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterSeconds))));
}
