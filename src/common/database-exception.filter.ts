import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ConflictException,
  HttpException,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from '../database/database-errors.js';

/** What a client reads when a unique index rejects its write; keyed by index name. */
const UNIQUE_VIOLATION_MESSAGES: Record<string, string> = {
  idx_users_username: 'username is already taken',
  idx_users_username_lower: 'username is already taken',
  idx_users_email: 'email is already registered',
};

/**
 * Turns database errors into the HTTP answers the contract promises: a unique
 * violation is a 409 (the constraint decides, not a read-then-write), an
 * unreachable or overloaded database is a 503, and neither ever leaks driver
 * or SQL text. Everything else falls through to Nest's default handling.
 */
@Catch()
export class DatabaseExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Database');

  override catch(exception: unknown, host: ArgumentsHost): void {
    super.catch(this.translate(exception), host);
  }

  private translate(exception: unknown): unknown {
    // Not `instanceof Error`: socket errors come from Node's own realm, where that is false under jest.
    if (exception instanceof HttpException || typeof exception !== 'object' || exception === null) return exception;
    const driverError = exception instanceof QueryFailedError ? (exception.driverError as { code?: string; constraint?: string }) : exception;
    const code = (driverError as { code?: string }).code ?? '';

    if (code === '23505') {
      const constraint = (driverError as { constraint?: string }).constraint ?? '';
      return new ConflictException(UNIQUE_VIOLATION_MESSAGES[constraint] ?? 'resource already exists');
    }
    // Invalid byte sequence (e.g. NUL) or a value the column cannot hold: the client's input, not our fault.
    if (code === '22021' || code === '22001' || code === '22P02') return new BadRequestException('invalid characters or value in input');
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${code || (exception as Error).message}`);
      return new ServiceUnavailableException('database unavailable, try again shortly');
    }
    return exception;
  }
}
