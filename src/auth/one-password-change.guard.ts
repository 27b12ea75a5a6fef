import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../common/jwt-auth.guard.js';
import { RetryLaterException } from '../common/retry-later.exception.js';

/**
 * One password change per user at a time (per instance). Parallel changes would only
 * queue bcrypt work ahead of other clients' logins, and all but one would fail anyway.
 * Runs before the rate limit, in memory: a burst of parallel requests is refused without
 * a database round trip each (200 upserts on one counter row serialize on its lock and
 * hold the pool). Released when the response is over, whatever its outcome.
 */
@Injectable()
export class OnePasswordChangeGuard implements CanActivate {
  /** Nest makes one guard instance per module, i.e. per app. */
  private readonly inProgress = new Set<number>();

  canActivate(context: ExecutionContext): boolean {
    const userId = context.switchToHttp().getRequest<AuthenticatedRequest>().user.id;
    if (this.inProgress.has(userId)) {
      throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, 'a password change for this account is already in progress', 1);
    }
    this.inProgress.add(userId);
    context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .raw.once('close', () => this.inProgress.delete(userId));
    return true;
  }
}
