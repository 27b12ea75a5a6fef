import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_SCHEMA } from '../src/app.schema.js';
import { databaseOptions } from '../src/database/database.options.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { login, signUp } from './helpers/accounts.js';
import { createDatabase, query } from './helpers/database.js';
import { bodyOf, type SessionBody } from './helpers/bodies.js';

const REFRESH = '/api/v1/auth/refresh';
const EXPIRED = { statusCode: 401, message: 'invalid or expired refresh token', error: 'Unauthorized' };
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('absolute session lifetime (JWT_REFRESH_ABSOLUTE_TTL_SECONDS)', () => {
  let short: TestApp;
  let standard: TestApp;
  beforeAll(async () => {
    short = await startTestApp({ env: { JWT_REFRESH_ABSOLUTE_TTL_SECONDS: '5', AUTH_RATE_LIMIT_PER_MINUTE: '0' } });
    standard = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(async () => {
    await short.close();
    await standard.close();
  });

  it('a session refreshed every half second still ends 5 s after its login; a new login starts a new one', async () => {
    const user = await signUp(short);
    const loginStarted = Date.now();
    let refreshToken = (await login(short, user.username)).refreshToken;
    const loggedIn = Date.now();
    let refreshes = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const sent = Date.now();
      const res = await short.http().post(REFRESH).send({ refreshToken });
      if (res.status !== 200) {
        expect(res.body).toEqual(EXPIRED);
        // Not before 5 s after the login began, and soon after 5 s from its answer.
        expect(Date.now() - loginStarted).toBeGreaterThanOrEqual(5000);
        expect(sent - loggedIn).toBeLessThan(5000 + 3000);
        break;
      }
      refreshes++;
      refreshToken = bodyOf<SessionBody>(res).refreshToken;
      expect(Date.now() - loginStarted).toBeLessThan(10_000); // without the limit, this is where it fails
    }
    expect(refreshes).toBeGreaterThanOrEqual(2);

    // Every token of the family carries the login's start and expires by its end.
    const { rows } = await query(
      short.config.databaseUrl,
      `SELECT count(DISTINCT family_started_at)::int AS starts,
              bool_and(expires_at <= family_started_at + interval '5 seconds') AS capped
       FROM refresh_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ starts: 1, capped: true }]);

    const fresh = await login(short, user.username);
    await short.http().post(REFRESH).send({ refreshToken: fresh.refreshToken }).expect(200);
  });

  it('90 days by default: a family whose login was longer ago is refused, however fresh its token', async () => {
    const user = await signUp(standard);
    let { refreshToken } = await login(standard, user.username);
    refreshToken = bodyOf<SessionBody>(await standard.http().post(REFRESH).send({ refreshToken }).expect(200)).refreshToken;
    const other = await login(standard, user.username); // another device: its own family and clock

    // As if the login had been 90 days and a second ago (the current token is minutes old).
    await query(
      standard.config.databaseUrl,
      `UPDATE refresh_tokens SET family_started_at = now() - interval '90 days 1 second'
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
      [sha256(refreshToken)],
    );
    expect((await standard.http().post(REFRESH).send({ refreshToken }).expect(401)).body).toEqual(EXPIRED);
    await standard.http().post(REFRESH).send({ refreshToken: other.refreshToken }).expect(200);

    // Just inside the 90 days still works.
    const third = await login(standard, user.username);
    await query(
      standard.config.databaseUrl,
      `UPDATE refresh_tokens SET family_started_at = now() - interval '89 days 23 hours' WHERE token_hash = $1`,
      [sha256(third.refreshToken)],
    );
    await standard.http().post(REFRESH).send({ refreshToken: third.refreshToken }).expect(200);
  });
});

describe('migration AddRefreshTokenFamilyStart on existing sessions', () => {
  it('gives each existing family the creation time of its oldest remaining token', async () => {
    const db = await createDatabase('family_start');
    const dataSource = new DataSource(
      databaseOptions(
        { databaseUrl: db.url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 30_000 },
        APP_SCHEMA,
      ),
    );
    try {
      await dataSource.initialize();
      await dataSource.runMigrations({ transaction: 'each' });
      const migration = dataSource.migrations.find((m) => m.name === 'AddRefreshTokenFamilyStart1700000005000')!;
      await migration.down(dataSource.createQueryRunner());
      await dataSource.query(`INSERT INTO users (username, email, password) VALUES ('old', 'old@example.com', 'x')`);
      await dataSource.query(`
        INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, revoked_at, created_at) VALUES
          (1, '00000000-0000-4000-8000-000000000001', 'a1', now() + interval '1 day', now(), '2024-01-01T00:00:00Z'),
          (1, '00000000-0000-4000-8000-000000000001', 'a2', now() + interval '1 day', NULL, '2024-02-01T00:00:00Z'),
          (1, '00000000-0000-4000-8000-000000000002', 'b1', now() + interval '1 day', NULL, '2024-03-01T00:00:00Z')`);
      await migration.up(dataSource.createQueryRunner());
      const { rows } = await query(db.url, `SELECT token_hash, family_started_at FROM refresh_tokens ORDER BY token_hash`);
      expect(rows.map((r) => [r.token_hash, (r.family_started_at as Date).toISOString()])).toEqual([
        ['a1', '2024-01-01T00:00:00.000Z'],
        ['a2', '2024-01-01T00:00:00.000Z'],
        ['b1', '2024-03-01T00:00:00.000Z'],
      ]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    }
  });
});
