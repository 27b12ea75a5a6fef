import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from './auth.constants.js';
import type { AuthenticatedUser } from './authenticated-user.js';

/** User ids are UUIDs; anything else would reach SQL as a uuid cast error instead of a 401. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

/** Bearer access token → `request.user`. Missing, malformed, expired or tampered: 401, one message. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new UnauthorizedException('missing or invalid access token');
    try {
      const payload = await this.jwt.verifyAsync<{ sub?: unknown; typ?: unknown; exp?: unknown }>(token, {
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
      if (typeof payload.sub !== 'string' || !UUID.test(payload.sub) || payload.typ !== 'access') throw new Error('not an access token');
      // jsonwebtoken checks exp only when present; a token that never expires is not one we issue.
      if (typeof payload.exp !== 'number') throw new Error('access token without exp');
      request.user = { id: payload.sub };
      return true;
    } catch {
      throw new UnauthorizedException('missing or invalid access token');
    }
  }
}
