import type { Logger } from '@nestjs/common';
import { APP_SCHEMA } from '../src/app.schema.js';
import { databaseOptions } from '../src/database/database.options.js';
import { runMigrationsLocked } from '../src/database/migrate.js';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase, query, serverUrl } from './helpers/database.js';
import { startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { describeWithTools } from './helpers/tools.js';

/**
 * The original columns are TIMESTAMP without time zone, holding UTC. The process runs
 * in Los Angeles and the database's TimeZone is Kathmandu (+05:45): every value written
 * and read must still be UTC, directly and through PgBouncer.
 */
async function journey(api: ApiProcess, url: string) {
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const username = `tz_${Date.now()}`;
  const signUp = await post('/api/v1/users', { username, email: `${username}@example.com`, password: 'time zone test' });
  expect(signUp.status).toBe(201);
  const user = (await signUp.json()) as { createdAt: string };
  const session = (await (await post('/api/v1/auth/login', { login: username, password: 'time zone test' })).json()) as {
    accessToken: string;
  };
  const created = await post('/api/v1/streams', { expiresInSeconds: 3600 }, session.accessToken);
  expect(created.status).toBe(201);
  const stream = (await created.json()) as { id: number; createdAt: string; expiresAt: string };

  // What the API says is the true instant, to the second.
  for (const at of [user.createdAt, stream.createdAt]) expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(10_000);
  expect(Date.parse(stream.expiresAt) - Date.parse(stream.createdAt)).toBeGreaterThan(3_599_000);
  expect(Date.parse(stream.expiresAt) - Date.parse(stream.createdAt)).toBeLessThan(3_601_000);

  // What is stored is UTC wall-clock time, also where the original DEFAULT CURRENT_TIMESTAMP wrote it (users).
  // timestamp minus timestamp: independent of this test connection's (Kathmandu) session zone.
  const { rows } = await query<{ user_skew: number }>(
    url,
    `SELECT extract(epoch FROM (SELECT created_at FROM users WHERE username = $1) - (now() AT TIME ZONE 'UTC'))::int AS user_skew`,
    [username],
  );
  expect(Math.abs(rows[0].user_skew)).toBeLessThan(10);
  const stored = await query(url, `SELECT to_char(expires_at, 'YYYY-MM-DD"T"HH24:MI:SS') AS wall FROM streams WHERE id = $1`, [stream.id]);
  expect(stored.rows[0].wall).toBe(stream.expiresAt.slice(0, 19));

  // An explicit expiry in another zone is stored as its UTC instant.
  const patched = await fetch(`${api.url}/api/v1/streams/${stream.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
    body: JSON.stringify({ expiresAt: new Date(Date.now() + 7_200_000).toISOString().replace('Z', '+00:00') }),
  });
  const renewed = (await patched.json()) as { expiresAt: string };
  const wall = await query(url, `SELECT to_char(expires_at, 'YYYY-MM-DD"T"HH24:MI:SS') AS wall FROM streams WHERE id = $1`, [stream.id]);
  expect(wall.rows[0].wall).toBe(renewed.expiresAt.slice(0, 19));
}

describe('TIMESTAMP columns hold UTC whatever the zones of the process and the server', () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    db = await createDatabase('tz');
    await query(serverUrl(), `ALTER DATABASE "${db.name}" SET TimeZone = 'Asia/Kathmandu'`);
    expect((await query(db.url, 'SHOW TimeZone')).rows[0].TimeZone).toBe('Asia/Kathmandu');
  });
  afterAll(() => db?.drop());

  it('directly', async () => {
    const api = await startApiProcess({ env: { DATABASE_URL: db.url, TZ: 'America/Los_Angeles' } });
    try {
      await journey(api, db.url);
    } finally {
      await api.stop();
    }
  }, 60_000);

  describeWithTools('through PgBouncer (transaction mode)', ['pgbouncer'], () => {
    let bouncer: PgBouncer;
    afterAll(() => bouncer?.stop());

    it('through PgBouncer', async () => {
      const quiet = { log: () => undefined } as unknown as Logger;
      await runMigrationsLocked(
        databaseOptions(
          { databaseUrl: db.url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 60_000 },
          APP_SCHEMA,
        ),
        quiet,
      );
      bouncer = await startPgBouncer(serverUrl());
      const api = await startApiProcess({
        env: { DATABASE_URL: bouncer.url(db.name), DB_PGBOUNCER: 'true', MIGRATIONS_RUN: 'false', TZ: 'America/Los_Angeles' },
      });
      try {
        await journey(api, db.url);
      } finally {
        await api.stop();
      }
    }, 60_000);
  });
});
