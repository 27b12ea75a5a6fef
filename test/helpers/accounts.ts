import { expect } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/common/jwt.constants.js';
import type { TestApp } from './app.js';
import { bodyOf, type UserBody } from './bodies.js';

export const PASSWORD = 'correct horse battery';

export const USER_KEYS = ['createdAt', 'email', 'firstName', 'id', 'lastName', 'username'];
export const PUBLIC_USER_KEYS = ['createdAt', 'firstName', 'id', 'lastName', 'username'];
export const SESSION_KEYS = ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'];

/** A username no other test in the suite uses (3–50 chars, [A-Za-z0-9_]). */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface SignedUp {
  id: number;
  username: string;
  email: string;
  password: string;
}

export async function signUp(t: TestApp, overrides: Record<string, unknown> = {}): Promise<SignedUp> {
  const username = uniqueName();
  const body = { username, email: `${username}@example.com`, password: PASSWORD, ...overrides };
  const res = await t.http().post('/api/v1/users').send(body);
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  const user = bodyOf<UserBody>(res);
  return { id: user.id, username: user.username, email: user.email, password: body.password };
}

export interface SessionBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: Record<string, unknown>;
}

export async function login(t: TestApp, loginName: string, password = PASSWORD): Promise<SessionBody> {
  const res = await t.http().post('/api/v1/auth/login').send({ login: loginName, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return bodyOf<SessionBody>(res);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** No key that smells of a password or hash, at any depth (a null value counts too). */
export function secretKeysIn(value: unknown, path = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => [
    ...(/password|hash/i.test(key) ? [`${path}.${key}`] : []),
    ...secretKeysIn(item, `${path}.${key}`),
  ]);
}

/** Nest's error shape, exactly. */
export function expectNestError(body: unknown, statusCode: number): void {
  expect(body).toEqual({ statusCode, message: expect.anything(), error: expect.any(String) });
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Hand-made JWTs, to test what the guard must refuse. */
export function craftJwt(
  payload: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const algorithm = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg as string];
  const signature = algorithm ? createHmac(algorithm, secret).update(unsigned).digest('base64url') : '';
  return `${unsigned}.${signature}`;
}

/** Claims the app's own tokens carry (iss/aud from src/common/jwt.constants.ts); `sub` is the id in decimal. */
export function accessClaims(userId: number | string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(userId), typ: 'access', iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 300, ...overrides };
}
