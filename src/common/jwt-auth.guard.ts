import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { parseSerialId } from './serial-id.decorator.js';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from './jwt.constants.js';
import type { AuthenticatedUser } from './authenticated-user.js';

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
      // `sub` is the user's SERIAL id in decimal (RFC 7519 wants a string).
      const id = parseSerialId(payload.sub);
      if (id === undefined || payload.typ !== 'access') throw new Error('not an access token');
      // jsonwebtoken checks exp only when present; a token that never expires is not one we issue.
      if (typeof payload.exp !== 'number') throw new Error('access token without exp');
      request.user = { id };
      return true;
    } catch {
      throw new UnauthorizedException('missing or invalid access token');
    }
  }
}
