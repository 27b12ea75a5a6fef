import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuthService } from '../../src/auth/auth.service.js';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/common/jwt.constants.js';
import type { StreamDto } from '../../src/streams/dto/stream.dto.js';
import type { StreamStatus } from '../../src/streams/stream.entity.js';
import { StreamsService } from '../../src/streams/streams.service.js';
import { UsersService } from '../../src/users/users.service.js';
import type { TestApp } from './app.js';

/**
 * Test data builders: the one place that makes users, sessions and streams. They go
 * through the app's own services (real hashing, key generation, token signing) on the
 * app's database, skipping only HTTP and its rate limits; a test that is about a route
 * calls that route itself.
 */

export const PASSWORD = 'correct horse battery';

/** A username no other test uses (3–50 characters of [A-Za-z0-9_]). */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface BuiltUser {
  id: number;
  username: string;
  email: string;
  password: string;
  /** An access token for this user, signed by the app. */
  token: string;
  /** `{ Authorization: 'Bearer …' }` for supertest's `.set()`. */
  auth: { Authorization: string };
}

export interface UserOverrides {
  username?: string;
  email?: string;
  password?: string;
  firstName?: string | null;
  lastName?: string | null;
}

/** A signed-up user (UsersService.create: bcrypt at the test cost) and an access token for it. */
export async function aUser(t: TestApp, overrides: UserOverrides = {}): Promise<BuiltUser> {
  const username = overrides.username ?? uniqueName();
  const email = overrides.email ?? `${username.toLowerCase()}@example.com`;
  const password = overrides.password ?? PASSWORD;
  const user = await t.app
    .get(UsersService)
    .create({ username, email, password, firstName: overrides.firstName, lastName: overrides.lastName });
  const token = await t.app.get(JwtService).signAsync({ sub: String(user.id), typ: 'access' });
  return { id: user.id, username, email, password, token, auth: bearer(token) };
}

export interface BuiltSession {
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

/** A logged-in session of `user` (AuthService.login): a refresh token stored as the login route stores it. */
export async function aSession(t: TestApp, user: Pick<BuiltUser, 'username' | 'password'>): Promise<BuiltSession> {
  const session = await t.app.get(AuthService).login({ login: user.username, password: user.password });
  return { accessToken: session.accessToken, refreshToken: session.refreshToken, auth: bearer(session.accessToken) };
}

export interface StreamOverrides {
  expiresInSeconds?: number;
  reconnectWindowSeconds?: number;
  maxContinuousSeconds?: number;
  /** `disabled` and `expired` are set after creation, as an owner's PATCH or the passing of time would. */
  status?: Exclude<StreamStatus, 'live'>;
}

/** A stream of `owner` with a fresh key (StreamsService.create), in the status asked for. */
export async function aStream(t: TestApp, owner: Pick<BuiltUser, 'id'>, overrides: StreamOverrides = {}): Promise<StreamDto> {
  const streams = t.app.get(StreamsService);
  const { expiresInSeconds, reconnectWindowSeconds, maxContinuousSeconds } = overrides;
  const stream = await streams.create(owner.id, { expiresInSeconds, reconnectWindowSeconds, maxContinuousSeconds });
  switch (overrides.status) {
    case undefined:
    case 'active':
      return stream;
    case 'disabled':
      return streams.update(owner.id, stream.id, { status: 'disabled' });
    case 'expired':
      // The sweep would mark it later; the shown status is `expired` as soon as expires_at has passed.
      await t.app.get(DataSource).query(`UPDATE streams SET expires_at = now() - interval '1 second' WHERE id = $1`, [stream.id]);
      return streams.get(owner.id, stream.id);
  }
}

/** The claims the app's own access tokens carry, for hand-made tokens in tests of what the guard refuses. */
export function accessClaims(userId: number | string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(userId), typ: 'access', iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 300, ...overrides };
}
