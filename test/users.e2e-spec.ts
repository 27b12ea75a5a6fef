import { expect } from '@jest/globals';
import { query } from './helpers/database.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  bearer,
  expectNestError,
  login,
  PASSWORD,
  PUBLIC_USER_KEYS,
  secretKeysIn,
  signUp,
  uniqueName,
  USER_KEYS,
} from './helpers/accounts.js';
import { bodyOf, type ErrorBody, type UserBody } from './helpers/bodies.js';

describe('accounts: users (real PostgreSQL, real HTTP stack)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // listen: concurrent supertest requests then share one bound server.
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' }, listen: true });
  });
  afterAll(() => t.close());

  const db = (sql: string, params: unknown[] = []) => query(t.config.databaseUrl, sql, params);
  const validBody = () => {
    const username = uniqueName();
    return { username, email: `${username}@example.com`, password: PASSWORD };
  };

  describe('POST /api/v1/users (sign-up)', () => {
    it('201 with exactly the User shape; email lower-cased; names null when absent', async () => {
      const body = validBody();
      const res = await t
        .http()
        .post('/api/v1/users')
        .send({ ...body, email: body.email.toUpperCase() })
        .expect(201);
      expect(Object.keys(res.body as object).sort()).toEqual(USER_KEYS);
      expect(res.body).toEqual({
        id: expect.any(Number),
        username: body.username,
        email: body.email.toLowerCase(),
        firstName: null,
        lastName: null,
        createdAt: expect.any(String),
      });
      expect(new Date(bodyOf<UserBody>(res).createdAt!).toISOString()).toBe(bodyOf<UserBody>(res).createdAt);
      expect(secretKeysIn(res.body)).toEqual([]);
    });

    it('keeps firstName and lastName', async () => {
      const res = await t
        .http()
        .post('/api/v1/users')
        .send({ ...validBody(), firstName: 'Ada', lastName: 'Lovelace' })
        .expect(201);
      expect(res.body).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
    });

    it('stores only a bcrypt hash at the configured cost', async () => {
      const body = validBody();
      const res = await t.http().post('/api/v1/users').send(body).expect(201);
      const { rows } = await db('SELECT password, email FROM users WHERE id = $1', [bodyOf<UserBody>(res).id]);
      expect(rows[0].password).toMatch(/^\$2b\$04\$/); // BCRYPT_COST=4 in tests
      expect(rows[0].password).not.toContain(PASSWORD);
    });

    it('409 for a username differing only in case, in Nest error shape', async () => {
      const first = await signUp(t);
      const res = await t
        .http()
        .post('/api/v1/users')
        .send({ ...validBody(), username: first.username.toUpperCase() })
        .expect(409);
      expect(res.body).toEqual({ statusCode: 409, message: 'username is already taken', error: 'Conflict' });
    });

    it('409 for an email differing only in case', async () => {
      const first = await signUp(t);
      const res = await t
        .http()
        .post('/api/v1/users')
        .send({ ...validBody(), email: first.email.replace(/^./, (c) => c.toUpperCase()).toUpperCase() })
        .expect(409);
      expect(res.body).toEqual({ statusCode: 409, message: 'email is already registered', error: 'Conflict' });
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['username missing', { username: undefined }, 'username'],
      ['username of 2 characters', { username: 'ab' }, 'username'],
      ['username of 51 characters', { username: 'a'.repeat(51) }, 'username'],
      ['username with a space', { username: 'ada lovelace' }, 'username'],
      ['username with a dash', { username: 'ada-l' }, 'username'],
      ['username with non-ASCII letters', { username: 'adä_l' }, 'username'],
      ['username as a number', { username: 12345 }, 'username'],
      ['username null', { username: null }, 'username'],
      ['email missing', { email: undefined }, 'email'],
      ['email not an address', { email: 'not-an-email' }, 'email'],
      ['email of 256 characters', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}.com` }, 'email'],
      ['email as an object', { email: { $gt: '' } }, 'email'],
      ['password missing', { password: undefined }, 'password'],
      ['password of 7 bytes', { password: 'abcdefg' }, 'password'],
      ['password of 7 bytes in multi-byte characters', { password: 'ééé' + 'a' }, 'password'],
      ['password of 73 ASCII bytes', { password: 'a'.repeat(73) }, 'password'],
      ['password of 73 bytes in 37 characters', { password: 'é'.repeat(36) + 'a' }, 'password'],
      ['password of 76 bytes in 38 UTF-16 units', { password: '😀'.repeat(19) }, 'password'],
      ['password as a number', { password: 12345678 }, 'password'],
      ['firstName of 101 characters', { firstName: 'x'.repeat(101) }, 'firstName'],
      ['firstName as a number', { firstName: 7 }, 'firstName'],
      ['lastName of 101 characters', { lastName: 'x'.repeat(101) }, 'lastName'],
      ['lastName as an array', { lastName: ['x'] }, 'lastName'],
      ['an unknown field (mass assignment)', { isAdmin: true }, 'isAdmin'],
      ['a client-chosen id', { id: '00000000-0000-0000-0000-000000000000' }, 'id'],
      ['a client-chosen createdAt', { createdAt: '2000-01-01T00:00:00.000Z' }, 'createdAt'],
      ['a password hash field', { passwordHash: '$2b$04$abc' }, 'passwordHash'],
    ];
    it.each(invalid)('400 for %s, naming the field', async (_case, change, field) => {
      const res = await t
        .http()
        .post('/api/v1/users')
        .send({ ...validBody(), ...change })
        .expect(400);
      expectNestError(res.body, 400);
      expect(bodyOf<ErrorBody>(res).error).toBe('Bad Request');
      expect(JSON.stringify(bodyOf<ErrorBody>(res).message)).toContain(field);
    });

    it('accepts the 72-byte boundary in multi-byte characters, and a login never truncates', async () => {
      for (const password of ['é'.repeat(36), '😀'.repeat(18), 'a'.repeat(72), 'éééé' /* 8 bytes */]) {
        const user = await signUp(t, { password });
        expect((await login(t, user.username, password)).user.id).toBe(user.id);
      }
      // bcrypt alone would accept these: it reads only the first 72 bytes.
      const user = await signUp(t, { password: 'é'.repeat(36) });
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ login: user.username, password: 'é'.repeat(36) + 'x' })
        .expect(400);
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ login: user.username, password: 'é'.repeat(35) + 'e' })
        .expect(401);
    });

    it('100 concurrent sign-ups with one username (case variants): exactly one 201, the rest 409, no 5xx', async () => {
      const base = uniqueName('race');
      const variants = [base, base.toUpperCase(), base.replace(/^./, (c) => c.toUpperCase())];
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          t
            .http()
            .post('/api/v1/users')
            .send({ username: variants[i % 3], email: `${base}_${i}@example.com`, password: PASSWORD }),
        ),
      );
      const statuses = responses.map((res) => res.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(99);
      for (const res of responses.filter((r) => r.status === 409)) expect(bodyOf<ErrorBody>(res).message).toBe('username is already taken');
      const { rows } = await db('SELECT count(*)::int AS n FROM users WHERE lower(username) = $1', [base]);
      expect(rows[0].n).toBe(1);
    });

    it('20 concurrent sign-ups with one email (case variants): exactly one 201, the rest 409', async () => {
      const email = `${uniqueName('mail')}@example.com`;
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t
            .http()
            .post('/api/v1/users')
            .send({ username: uniqueName(), email: i % 2 ? email.toUpperCase() : email, password: PASSWORD }),
        ),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    });
  });

  describe('GET /api/v1/users/me', () => {
    it('200 with exactly the User shape', async () => {
      const user = await signUp(t, { firstName: 'Grace' });
      const session = await login(t, user.username);
      const res = await t.http().get('/api/v1/users/me').set(bearer(session.accessToken)).expect(200);
      expect(Object.keys(res.body as object).sort()).toEqual(USER_KEYS);
      expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email, firstName: 'Grace', lastName: null });
      expect(secretKeysIn(res.body)).toEqual([]);
    });

    it('401 without a token, with a malformed one, or with another scheme', async () => {
      for (const headers of [{}, { Authorization: 'Bearer' }, { Authorization: 'Bearer not.a.jwt' }, { Authorization: 'Basic YTpi' }]) {
        const res = await t.http().get('/api/v1/users/me').set(headers).expect(401);
        expectNestError(res.body, 401);
      }
    });
  });

  describe('PATCH /api/v1/users/me', () => {
    it('changes email (lower-cased) and names; returns the User shape', async () => {
      const user = await signUp(t);
      const { accessToken } = await login(t, user.username);
      const email = `${uniqueName()}@Example.COM`;
      const res = await t
        .http()
        .patch('/api/v1/users/me')
        .set(bearer(accessToken))
        .send({ email, firstName: 'Ada', lastName: 'Lovelace' })
        .expect(200);
      expect(Object.keys(res.body as object).sort()).toEqual(USER_KEYS);
      expect(res.body).toMatchObject({ id: user.id, email: email.toLowerCase(), firstName: 'Ada', lastName: 'Lovelace' });
      // The new email logs in, in any case.
      await login(t, email.toUpperCase());
    });

    it('null clears a name; an empty body changes nothing', async () => {
      const user = await signUp(t, { firstName: 'Ada' });
      const { accessToken } = await login(t, user.username);
      const cleared = await t.http().patch('/api/v1/users/me').set(bearer(accessToken)).send({ firstName: null }).expect(200);
      expect(bodyOf<UserBody>(cleared).firstName).toBeNull();
      const same = await t.http().patch('/api/v1/users/me').set(bearer(accessToken)).send({}).expect(200);
      expect(same.body).toEqual(cleared.body);
    });

    it.each([
      ['username (not changeable here)', { username: 'someone_else' }],
      ['password (has its own route)', { password: 'new password 1' }],
      ['email null', { email: null }],
      ['email invalid', { email: 'nope' }],
      ['firstName too long', { firstName: 'x'.repeat(101) }],
      ['lastName not a string', { lastName: 42 }],
    ])('400 for %s', async (_case, body) => {
      const user = await signUp(t);
      const { accessToken } = await login(t, user.username);
      const res = await t.http().patch('/api/v1/users/me').set(bearer(accessToken)).send(body).expect(400);
      expectNestError(res.body, 400);
    });

    it('409 when the email belongs to someone else (any case)', async () => {
      const other = await signUp(t);
      const user = await signUp(t);
      const { accessToken } = await login(t, user.username);
      const res = await t.http().patch('/api/v1/users/me').set(bearer(accessToken)).send({ email: other.email.toUpperCase() }).expect(409);
      expect(res.body).toEqual({ statusCode: 409, message: 'email is already registered', error: 'Conflict' });
    });

    it('401 without a token', async () => {
      await t.http().patch('/api/v1/users/me').send({ firstName: 'x' }).expect(401);
    });
  });

  describe('PUT /api/v1/users/me/password', () => {
    it('204; every refresh token of the user stops working; only the new password logs in', async () => {
      const user = await signUp(t);
      const first = await login(t, user.username);
      const second = await login(t, user.email);
      await t
        .http()
        .put('/api/v1/users/me/password')
        .set(bearer(first.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new secret' })
        .expect(204);
      for (const session of [first, second]) {
        await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      }
      await t.http().post('/api/v1/auth/login').send({ login: user.username, password: PASSWORD }).expect(401);
      const fresh = await login(t, user.username, 'a brand new secret');
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: fresh.refreshToken }).expect(200);
      const { rows } = await db('SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.id]);
      expect(rows[0].n).toBe(1);
    });

    it('401 for a wrong current password, and nothing changes', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      const res = await t
        .http()
        .put('/api/v1/users/me/password')
        .set(bearer(session.accessToken))
        .send({ currentPassword: 'not the password', newPassword: 'a brand new secret' })
        .expect(401);
      expect(res.body).toEqual({ statusCode: 401, message: 'current password is incorrect', error: 'Unauthorized' });
      await login(t, user.username, PASSWORD);
      await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
    });

    it.each([
      ['a new password of 73 bytes', { newPassword: 'é'.repeat(36) + 'a' }],
      ['a new password of 7 bytes', { newPassword: 'abcdefg' }],
      ['a missing current password', { currentPassword: undefined }],
      ['an unknown field', { alsoSet: 'x' }],
    ])('400 for %s', async (_case, change) => {
      const user = await signUp(t);
      const { accessToken } = await login(t, user.username);
      const body = { currentPassword: PASSWORD, newPassword: 'a brand new secret', ...change };
      const res = await t.http().put('/api/v1/users/me/password').set(bearer(accessToken)).send(body).expect(400);
      expectNestError(res.body, 400);
      await login(t, user.username, PASSWORD);
    });

    it('401 without a token', async () => {
      await t.http().put('/api/v1/users/me/password').send({ currentPassword: PASSWORD, newPassword: 'whatever123' }).expect(401);
    });
  });

  describe('DELETE /api/v1/users/me', () => {
    it('204; the user’s streams and sessions go with it; the still-valid access token gets 401 everywhere', async () => {
      const user = await signUp(t);
      const session = await login(t, user.username);
      await db(`INSERT INTO streams (user_id, stream_key, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [
        user.id,
        uniqueName('key'),
      ]);
      const other = await signUp(t);
      await db(`INSERT INTO streams (user_id, stream_key, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [
        other.id,
        uniqueName('key'),
      ]);

      await t.http().delete('/api/v1/users/me').set(bearer(session.accessToken)).expect(204);

      const count = async (table: string, id: number) =>
        (await db(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [id])).rows[0].n;
      expect(await count('streams', user.id)).toBe(0);
      expect(await count('refresh_tokens', user.id)).toBe(0);
      expect(await count('streams', other.id)).toBe(1);

      const auth = bearer(session.accessToken);
      for (const res of [
        await t.http().get('/api/v1/users/me').set(auth),
        await t.http().patch('/api/v1/users/me').set(auth).send({ firstName: 'x' }),
        await t.http().put('/api/v1/users/me/password').set(auth).send({ currentPassword: PASSWORD, newPassword: 'whatever123' }),
        await t.http().delete('/api/v1/users/me').set(auth),
        await t.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }),
        await t.http().post('/api/v1/auth/login').send({ login: user.username, password: PASSWORD }),
      ]) {
        expect(res.status).toBe(401);
        expectNestError(res.body, 401);
      }
      await t.http().get(`/api/v1/users/${user.username}`).expect(404);
      // The name is free again.
      await signUp(t, { username: user.username });
    });

    it('401 without a token', async () => {
      await t.http().delete('/api/v1/users/me').expect(401);
    });
  });

  describe('GET /api/v1/users/:username', () => {
    it('200 with exactly the PublicUser shape (no email), found in any case', async () => {
      const user = await signUp(t, { firstName: 'Ada', lastName: 'Lovelace' });
      const res = await t.http().get(`/api/v1/users/${user.username.toUpperCase()}`).expect(200);
      expect(Object.keys(res.body as object).sort()).toEqual(PUBLIC_USER_KEYS);
      expect(res.body).toEqual({
        id: user.id,
        username: user.username,
        firstName: 'Ada',
        lastName: 'Lovelace',
        createdAt: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain(user.email);
    });

    it('404 in Nest error shape for unknown or impossible names', async () => {
      for (const name of ['nobody_here_xyz', 'no-such-user', 'x'.repeat(60), 'ab']) {
        const res = await t.http().get(`/api/v1/users/${name}`).expect(404);
        expect(res.body).toEqual({ statusCode: 404, message: 'user not found', error: 'Not Found' });
      }
    });
  });
});
