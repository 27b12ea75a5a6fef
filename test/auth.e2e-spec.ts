import { createHash } from 'node:crypto';
import pg from 'pg';
import { Sweeper } from '../src/database/sweeper.service.js';
import { query } from './helpers/database.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  accessClaims,
  bearer,
  craftJwt,
  expectNestError,
  login,
  PASSWORD,
  secretKeysIn,
  SESSION_KEYS,
  signUp,
  USER_KEYS,
} from './helpers/accounts.js';
import { bodyOf, type SessionBody } from './helpers/bodies.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp: number; iat: number; [claim: string]: unknown };

describe('accounts: sessions (real PostgreSQL, real HTTP stack)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(() => t.close());

  const db = (sql: string, params: unknown[] = []) => query(t.config.databaseUrl, sql, params);

  describe('POST /api/v1/auth/login', () => {
    it('200 Session by username or email, in any case; exact shapes, no password anywhere', async () => {
      const user = await signUp(t, { firstName: 'Ada' });
      for (const name of [user.username, user.username.toUpperCase(), user.email, user.email.toUpperCase()]) {
        const res = await t.http().post('/api/v1/auth/login').send({ login: name, password: PASSWORD }).expect(200);
        expect(Object.keys(res.body as object).sort()).toEqual(SESSION_KEYS);
        expect(Object.keys(bodyOf<SessionBody>(res).user).sort()).toEqual(USER_KEYS);
        expect(res.body).toMatchObject({
          tokenType: 'Bearer',
          expiresIn: 900,
          user: { id: user.id, username: user.username, email: user.email, firstName: 'Ada', lastName: null },
        });
        expect(secretKeysIn(res.body)).toEqual([]);
        await t
          .http()
          .get('/api/v1/users/me')
          .set(bearer(bodyOf<SessionBody>(res).accessToken))
          .expect(200);
      }
    });

    it('the access token is an HS256 JWT with sub, typ, iss, aud and exp; the refresh token is opaque and stored hashed', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      const [header, payload] = session.accessToken.split('.').slice(0, 2).map(decode);
      expect(header).toMatchObject({ alg: 'HS256' });
      expect(payload).toMatchObject({ sub: String(user.id), typ: 'access', iss: 'streamly', aud: 'streamly-api' });
      expect(payload.exp - payload.iat).toBe(900);

      expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      const { rows } = await db('SELECT * FROM refresh_tokens WHERE user_id = $1', [user.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toBe(sha256(session.refreshToken));
      expect(JSON.stringify(rows)).not.toContain(session.refreshToken);
      const lifetime = ((rows[0].expires_at as Date).getTime() - (rows[0].created_at as Date).getTime()) / 1000;
      expect(Math.round(lifetime)).toBe(2_592_000);
    });

    it('one identical 401 for an unknown user and a wrong password', async () => {
      const user = await signUp(t);
      const answers = [
        await t.http().post('/api/v1/auth/login').send({ login: 'nobody_at_all', password: PASSWORD }),
        await t.http().post('/api/v1/auth/login').send({ login: 'nobody@example.com', password: PASSWORD }),
        await t.http().post('/api/v1/auth/login').send({ login: user.username, password: 'wrong password' }),
        await t.http().post('/api/v1/auth/login').send({ login: user.email, password: 'wrong password' }),
      ];
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ statusCode: 401, message: 'invalid login or password', error: 'Unauthorized' });
        expect(res.text).toBe(answers[0].text);
        expect(res.headers['content-type']).toBe(answers[0].headers['content-type']);
      }
    });

    it.each([
      ['login missing', { login: undefined }],
      ['login empty', { login: '' }],
      ['login not a string', { login: ['a'] }],
      ['password missing', { password: undefined }],
      ['password of 73 bytes', { password: 'é'.repeat(36) + 'a' }],
      ['an unknown field', { remember: true }],
    ])('400 for %s', async (_case, change) => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ login: 'someone', password: PASSWORD, ...change })
        .expect(400);
      expectNestError(res.body, 400);
    });
  });

  describe('POST /api/v1/auth/refresh', () => {
    it('200 with a new pair; the old refresh token stops working', async () => {
      const user = await signUp(t);
      const first = await login(t, user.username);
      const res = await t.http().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
      expect(Object.keys(res.body as object).sort()).toEqual(SESSION_KEYS);
      expect(Object.keys(bodyOf<SessionBody>(res).user).sort()).toEqual(USER_KEYS);
      expect(bodyOf<SessionBody>(res).user.id).toBe(user.id);
      expect(bodyOf<SessionBody>(res).refreshToken).not.toBe(first.refreshToken);
      expect(secretKeysIn(res.body)).toEqual([]);
      await t
        .http()
        .get('/api/v1/users/me')
        .set(bearer(bodyOf<SessionBody>(res).accessToken))
        .expect(200);

      const again = await t.http().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
      expect(again.body).toEqual({ statusCode: 401, message: 'invalid or expired refresh token', error: 'Unauthorized' });
    });

    it('reuse of a rotated token revokes its whole family, and only that family', async () => {
      const user = await signUp(t);
      const stolen = await login(t, user.username);
      const otherDevice = await login(t, user.username);
      const rotated = bodyOf<SessionBody>(
        await t.http().post('/api/v1/auth/refresh').send({ refreshToken: stolen.refreshToken }).expect(200),
      );
      const rotatedAgain = bodyOf<SessionBody>(
        await t.http().post('/api/v1/auth/refresh').send({ refreshToken: rotated.refreshToken }).expect(200),
      );

      // The thief replays the first token: refused, and the legitimate holder's current token dies with it.
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: stolen.refreshToken }).expect(401);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: rotatedAgain.refreshToken }).expect(401);

      // Another login (another family) is untouched.
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: otherDevice.refreshToken }).expect(200);
      const { rows } = await db(
        `SELECT family_id, count(*)::int AS total, count(revoked_at)::int AS revoked FROM refresh_tokens WHERE user_id = $1 GROUP BY family_id ORDER BY total DESC`,
        [user.id],
      );
      expect(rows.map((r) => [r.total, r.revoked])).toEqual([
        [3, 3],
        [2, 1],
      ]);
    });

    it('401 for an expired, unknown or access token; 400 for a malformed body', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      await db(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [sha256(session.refreshToken)]);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      await t
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: 'x'.repeat(43) })
        .expect(401);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.accessToken }).expect(401);
      for (const body of [{}, { refreshToken: 42 }, { refreshToken: '' }, { refreshToken: 'x', userId: user.id }]) {
        expectNestError((await t.http().post('/api/v1/auth/refresh').send(body).expect(400)).body, 400);
      }
    });
    it('the periodic sweep deletes expired refresh tokens and keeps live ones working', async () => {
      const user = await signUp(t);
      const expired = await login(t, user.username);
      const live = await login(t, user.username);
      await db(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [sha256(expired.refreshToken)]);
      await t.app.get(Sweeper).runOnce();
      const { rows } = await db(`SELECT token_hash FROM refresh_tokens WHERE user_id = $1`, [user.id]);
      expect(rows.map((r) => r.token_hash)).toEqual([sha256(live.refreshToken)]);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: expired.refreshToken }).expect(401);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: live.refreshToken }).expect(200);
    });
  });

  describe('POST /api/v1/auth/logout', () => {
    it('204 revokes that one refresh token; again or unknown is 401; other sessions live on', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      const other = await login(t, user.username);
      const res = await t.http().post('/api/v1/auth/logout').send({ refreshToken: session.refreshToken }).expect(204);
      expect(res.text).toBe('');
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      await t.http().post('/api/v1/auth/logout').send({ refreshToken: session.refreshToken }).expect(401);
      await t.http().post('/api/v1/auth/logout').send({ refreshToken: 'unknown-token' }).expect(401);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(200);
      expectNestError((await t.http().post('/api/v1/auth/logout').send({}).expect(400)).body, 400);
    });
  });

  describe('racing a password change (held open in another connection)', () => {
    /** Runs `work` while another transaction has changed the password but not yet revoked or committed. */
    async function duringPasswordChange<T>(userId: number, work: () => Promise<T>): Promise<{ result: T; waited: boolean }> {
      const client = new pg.Client({ connectionString: t.config.databaseUrl });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE users SET password = '$2b$04$changedchangedchangedchangedchangedchangedchangedcha' WHERE id = $1`, [
          userId,
        ]);
        let settled = false;
        const pending = work().finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const waited = !settled;
        await client.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
        await client.query('COMMIT');
        return { result: await pending, waited };
      } finally {
        await client.end();
      }
    }
    const liveTokens = async (userId: number) =>
      (await db('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [userId])).rows[0].n;

    it('a login with the old password waits for it and is refused: no session outlives the change', async () => {
      const user = await signUp(t);
      const { result, waited } = await duringPasswordChange(user.id, async () =>
        t.http().post('/api/v1/auth/login').send({ login: user.username, password: PASSWORD }),
      );
      expect(waited).toBe(true);
      expect(result.status).toBe(401);
      expect(await liveTokens(user.id)).toBe(0);
    });

    it('a refresh waits for it and is refused', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      const { result, waited } = await duringPasswordChange(user.id, async () =>
        t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }),
      );
      expect(waited).toBe(true);
      expect(result.status).toBe(401);
      expect(await liveTokens(user.id)).toBe(0);
    });
  });

  describe('access tokens the guard must refuse', () => {
    let userId: number;
    let secret: string;
    beforeAll(async () => {
      userId = (await signUp(t)).id;
      secret = t.config.jwtSecret;
    });

    it('accepts a correctly made token (control for the cases below)', async () => {
      await t
        .http()
        .get('/api/v1/users/me')
        .set(bearer(craftJwt(accessClaims(userId), secret)))
        .expect(200);
    });

    const refused: [string, () => string][] = [
      [
        'a tampered payload',
        () => {
          const [header, , signature] = craftJwt(accessClaims(userId), secret).split('.');
          const forged = Buffer.from(JSON.stringify(accessClaims('00000000-0000-4000-8000-000000000000'))).toString('base64url');
          return `${header}.${forged}.${signature}`;
        },
      ],
      ['a tampered signature', () => craftJwt(accessClaims(userId), secret).slice(0, -2) + 'AA'],
      ['alg "none" without a signature', () => craftJwt(accessClaims(userId), secret, { alg: 'none', typ: 'JWT' })],
      [
        'alg "none" with the HS256 signature',
        () => {
          const [, payload, signature] = craftJwt(accessClaims(userId), secret).split('.');
          return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.${signature}`;
        },
      ],
      ['HS512 with the right secret (algorithm pinned)', () => craftJwt(accessClaims(userId), secret, { alg: 'HS512', typ: 'JWT' })],
      ['another secret', () => craftJwt(accessClaims(userId), 'another secret that is long enough!!')],
      ['an expired token', () => craftJwt(accessClaims(userId, { iat: 1_600_000_000, exp: 1_600_000_900 }), secret)],
      ['a wrong audience', () => craftJwt(accessClaims(userId, { aud: 'some-other-api' }), secret)],
      ['a wrong issuer', () => craftJwt(accessClaims(userId, { iss: 'someone-else' }), secret)],
      ['no exp', () => craftJwt(accessClaims(userId, { exp: undefined }), secret)],
      ['typ other than access', () => craftJwt(accessClaims(userId, { typ: 'refresh' }), secret)],
      ['no sub', () => craftJwt(accessClaims(userId, { sub: undefined }), secret)],
      ['a sub that is not a user id', () => craftJwt(accessClaims("' OR 1=1 --"), secret)],
      ['a user that does not exist', () => craftJwt(accessClaims('00000000-0000-4000-8000-000000000000'), secret)],
    ];
    it.each(refused)('401 for %s', async (_case, token) => {
      const res = await t.http().get('/api/v1/users/me').set(bearer(token())).expect(401);
      expectNestError(res.body, 401);
    });
  });
});

describe('accounts: login timing', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A realistic cost, so a skipped bcrypt comparison would stand out against query time.
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0', BCRYPT_COST: '10' } });
  });
  afterAll(() => t.close());

  it('an unknown user costs about as much as a wrong password (a dummy hash is compared)', async () => {
    const user = await signUp(t);
    const time = async (loginName: string) => {
      const started = process.hrtime.bigint();
      await t.http().post('/api/v1/auth/login').send({ login: loginName, password: 'wrong password' }).expect(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 6; i++) {
      unknown.push(await time(`nobody_${i}`));
      wrong.push(await time(user.username));
    }
    // The fastest of each: load on a shared machine only ever adds time, so minimums compare the work done.
    // Without the dummy comparison an unknown user answers in ~1 ms against tens of ms (a ratio near 0.02).
    const ratio = Math.min(...unknown) / Math.min(...wrong);
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(3);
  });
});
