import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestApp } from './app.js';

export interface TestUser {
  id: number;
  username: string;
  /** Access token for `Authorization: Bearer`. */
  token: string;
  /** `{ Authorization: 'Bearer …' }`, for supertest's `.set()`. */
  auth: { Authorization: string };
}

/**
 * A user row inserted directly (no dependency on the accounts routes) and an
 * access token minted by the app's own JwtService, as JwtAuthGuard expects.
 */
export async function createUser(t: TestApp, username = `u_${randomBytes(5).toString('hex')}`): Promise<TestUser> {
  const [row] = await t.app
    .get(DataSource)
    .query<{ id: number }[]>(`INSERT INTO users (username, email, password) VALUES ($1, $2, 'not-a-real-hash') RETURNING id`, [
      username,
      `${username.toLowerCase()}@example.test`,
    ]);
  const token = t.app.get(JwtService).sign({ sub: String(row.id), typ: 'access' });
  return { id: row.id, username, token, auth: { Authorization: `Bearer ${token}` } };
}
