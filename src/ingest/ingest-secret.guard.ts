import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { IngestAdapter, REFUSAL_MESSAGES, type IngestAdapterName } from './ingest-decision.js';
import { IngestService } from './ingest.service.js';

/**
 * The shared INGEST_SECRET, as `Authorization: Bearer <secret>`, or as `?secret=` on the
 * hook routes of servers that cannot send a header (nginx-rtmp, MediaMTX, SRS) and nowhere
 * else: a URL ends up in proxies' and servers' logs. Never read from a body: nginx appends
 * the publisher's own query string to it. Compared in constant time on SHA-256 digests,
 * which are equal-length whatever was sent.
 */
@Injectable()
export class IngestSecret {
  private readonly expected: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: ResolvedConfig,
    private readonly ingest: IngestService,
  ) {
    this.expected = digest(config.ingestSecret);
  }

  /** Passes when `request` presents the secret; else counts the refusal for `adapter` and throws a 401. */
  check(request: FastifyRequest, inQuery: boolean, adapter: IngestAdapterName | undefined): void {
    const given = presentedSecret(request, inQuery);
    if (given !== undefined && timingSafeEqual(digest(given), this.expected)) return;
    if (adapter) this.ingest.recordDecision(adapter, 'unauthorized');
    throw new UnauthorizedException(REFUSAL_MESSAGES.unauthorized);
  }
}

/** IngestSecret on the ingest controllers, with what their decorators say (IngestController). */
@Injectable()
export class IngestSecretGuard implements CanActivate {
  constructor(
    private readonly secret: IngestSecret,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const inQuery = this.reflector.getAllAndOverride(SecretInQuery, targets) ?? false;
    this.secret.check(
      context.switchToHttp().getRequest<FastifyRequest>(),
      inQuery,
      this.reflector.getAllAndOverride(IngestAdapter, targets),
    );
    return true;
  }
}

/** Routes whose caller can only send the secret in the URL. */
export const SecretInQuery = Reflector.createDecorator<boolean>();

function presentedSecret(request: FastifyRequest, inQuery: boolean): string | undefined {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  if (scheme.toLowerCase() === 'bearer') return token ?? '';
  if (!inQuery) return undefined;
  // A repeated `secret` parameter arrives as an array: not a secret.
  const secret = (request.query as Record<string, unknown> | undefined)?.secret;
  return typeof secret === 'string' ? secret : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
