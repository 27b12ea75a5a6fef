import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ConflictException,
  HttpException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { RetryLaterException, setRetryAfter } from './retry-later.exception.js';

/**
 * Turns errors into the HTTP answers the contract promises: a unique violation is
 * a 409 (the constraint decides, not a read-then-write), a value the database
 * rejects is a 400, an unreachable or overloaded database is a 503, and none ever
 * leaks driver or SQL text. HttpExceptions get Nest's full error shape, and a
 * RetryLaterException its Retry-After header too. Anything else falls through to
 * Nest's default handling (logged, 500).
 */
@Catch()
export class CatchAllFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Database');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof RetryLaterException) setRetryAfter(host.switchToHttp().getResponse(), exception);
    super.catch(this.translate(exception), host);
  }

  private translate(exception: unknown): unknown {
    if (exception instanceof HttpException) return withErrorName(exception);
    // Not `instanceof Error`: socket errors come from Node's own realm, where that is false under jest.
    if (typeof exception !== 'object' || exception === null) return exception;
    const driverError =
      exception instanceof QueryFailedError ? (exception.driverError as { code?: string; constraint?: string }) : exception;
    const code = (driverError as { code?: string }).code ?? '';

    // Features name their own constraints (e.g. UsersService's 409 messages); these are the fallbacks.
    if (code === '23505') return new ConflictException('resource already exists');
    if (code === '23503') return new ConflictException('the referenced resource does not exist or is still in use');
    // Class 22 (data exception: NUL bytes, too long, out of range, bad format) and
    // not-null / check violations: the client's values, not our fault.
    if (code.startsWith('22') || code === '23502' || code === '23514') {
      return new BadRequestException('invalid characters or value in input');
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${code || (exception as Error).message}`);
      return new ServiceUnavailableException('database unavailable, try again shortly');
    }
    return exception;
  }
}

/**
 * Nest's named exceptions answer `{statusCode, message, error}`; a bare
 * `new HttpException('text', status)` answers without `error`. That is how Nest
 * maps Fastify's own errors (413 body too large, 400 malformed JSON, 415) and how
 * @nestjs/throttler throws its 429, so those get the status text added here.
 */
function withErrorName(exception: HttpException): HttpException {
  const body = exception.getResponse();
  if (exception instanceof NotFoundException) return withoutQuery(exception);
  if (typeof body !== 'string') return exception;
  const status = exception.getStatus();
  return new HttpException({ statusCode: status, message: body, error: STATUS_CODES[status] ?? 'Error' }, status, {
    cause: exception,
  });
}

/**
 * Nest's answer for an unmatched route, `Cannot GET /path?query`, without the query: it
 * may hold an ingest secret or a token (`?secret=` on a mistyped hook URL), and error
 * bodies end up in ingest servers' and proxies' logs.
 */
function withoutQuery(exception: NotFoundException): HttpException {
  const body = exception.getResponse() as { message?: unknown };
  const message = typeof body === 'object' && typeof body.message === 'string' ? body.message : undefined;
  const match = message === undefined ? null : /^(Cannot [A-Z]+ [^?#]*)[?#]/.exec(message);
  if (!match) return exception;
  return new NotFoundException({ message: match[1], error: 'Not Found', statusCode: 404 }, { cause: exception });
}
