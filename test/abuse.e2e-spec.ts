import { expect } from '@jest/globals';
import { getStorageToken } from '@nestjs/throttler';
import type { PostgresThrottlerStorage } from '../src/auth/postgres-throttler.storage.js';
import { query } from './helpers/database.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { bearer, expectNestError, login, PASSWORD, signUp, uniqueName } from './helpers/accounts.js';
import { bodyOf, type ErrorBody } from './helpers/bodies.js';

const LOGIN = '/api/v1/auth/login';
const SIGN_UP = '/api/v1/users';

describe('abuse: login and sign-up rate limit (shared in PostgreSQL)', () => {
  let a: TestApp;
  let b: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
    // A second instance on the same database: limits must hold across instances.
    b = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' }, sameDatabaseAs: a });
    proxied = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await proxied.close();
  });
  beforeEach(async () => {
    await query(a.config.databaseUrl, 'TRUNCATE rate_limits');
    await query(proxied.config.databaseUrl, 'TRUNCATE rate_limits');
  });

  const attempt = (t: TestApp, headers: Record<string, string> = {}) =>
    t.http().post(LOGIN).set(headers).send({ login: 'nobody_here', password: 'wrong password' });

  it('the attempt over the limit is a 429 in Nest shape with Retry-After; it stays blocked', async () => {
    for (let i = 0; i < 3; i++) expect((await attempt(a)).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await attempt(a);
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ statusCode: 429, message: 'too many attempts, try again later', error: 'Too Many Requests' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
  });

  it('a correct password does not get through a block either, and the block ends when its time is up', async () => {
    const user = await signUp(a);
    await query(a.config.databaseUrl, 'TRUNCATE rate_limits');
    for (let i = 0; i < 3; i++) await attempt(a);
    await a.http().post(LOGIN).send({ login: user.username, password: PASSWORD }).expect(429);
    // Move the block and the window into the past, as a minute passing would.
    await query(
      a.config.databaseUrl,
      `UPDATE rate_limits SET blocked_until = now() - interval '1 second', expires_at = now() - interval '1 second'`,
    );
    await a.http().post(LOGIN).send({ login: user.username, password: PASSWORD }).expect(200);
  });

  it('sign-up is limited too (invalid bodies count: the guard runs before validation); a refused sign-up creates nothing', async () => {
    await a.http().post(SIGN_UP).send({}).expect(400);
    await a.http().post(SIGN_UP).send({ username: 'x' }).expect(400);
    await signUp(a);
    const username = uniqueName();
    const res = await a
      .http()
      .post(SIGN_UP)
      .send({ username, email: `${username}@example.com`, password: PASSWORD })
      .expect(429);
    expect(res.headers['retry-after']).toBeDefined();
    const { rows } = await query(a.config.databaseUrl, 'SELECT 1 FROM users WHERE username = $1', [username]);
    expect(rows).toHaveLength(0);
    // Login has its own budget.
    expect((await attempt(a)).status).toBe(401);
  });

  it('holds across instances sharing the database', async () => {
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(b)).status).toBe(401);
    expect((await attempt(b)).status).toBe(429);
    expect((await attempt(a)).status).toBe(429);
  });

  it('counts concurrent attempts exactly (atomic upsert)', async () => {
    const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(i % 2 ? a : b)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });

  it('X-Forwarded-For is ignored unless TRUST_PROXY says so', async () => {
    for (let i = 0; i < 3; i++) await attempt(a, { 'X-Forwarded-For': `198.51.100.${i}` });
    expect((await attempt(a, { 'X-Forwarded-For': '198.51.100.99' })).status).toBe(429);
  });

  it('behind a trusted proxy, each client IP has its own budget', async () => {
    for (let i = 0; i < 3; i++) expect((await attempt(proxied, { 'X-Forwarded-For': '203.0.113.7' })).status).toBe(401);
    expect((await attempt(proxied, { 'X-Forwarded-For': '203.0.113.7' })).status).toBe(429);
    expect((await attempt(proxied, { 'X-Forwarded-For': '203.0.113.8' })).status).toBe(401);
  });

  it('the periodic sweep deletes only counters whose window and block are over', async () => {
    await query(
      a.config.databaseUrl,
      `INSERT INTO rate_limits (key, hits, expires_at, blocked_until) VALUES
         ('old', 1, now() - interval '1 minute', NULL),
         ('old-block', 9, now() - interval '1 minute', now() - interval '1 second'),
         ('blocked', 9, now() - interval '1 minute', now() + interval '1 minute'),
         ('live', 1, now() + interval '1 minute', NULL)`,
    );
    await a.app.get<PostgresThrottlerStorage>(getStorageToken()).deleteExpired();
    const { rows } = await query(a.config.databaseUrl, 'SELECT key FROM rate_limits ORDER BY key');
    expect(rows.map((r) => r.key)).toEqual(['blocked', 'live']);
  });

  it('never throttles probes or the other account routes', async () => {
    const user = await signUp(a);
    const session = await login(a, user.username);
    await query(a.config.databaseUrl, 'TRUNCATE rate_limits');
    for (let i = 0; i < 3; i++) await attempt(a);
    expect((await attempt(a)).status).toBe(429);
    const requests = [
      () => a.http().get('/health'),
      () => a.http().get('/health/live'),
      () => a.http().get('/health/ready'),
      () => a.http().get('/api/v1/users/me').set(bearer(session.accessToken)),
      () => a.http().get(`/api/v1/users/${user.username}`),
      () => a.http().post('/api/v1/auth/refresh').send({ refreshToken: 'not-a-token' }),
      () => a.http().post('/api/v1/auth/logout').send({ refreshToken: 'not-a-token' }),
    ];
    for (const request of requests) {
      for (let i = 0; i < 6; i++) {
        const res = await request();
        expect(res.status).not.toBe(429);
        expect(res.headers['retry-after']).toBeUndefined();
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
  });
});

describe('abuse: bodies, encodings and URLs', () => {
  let t: TestApp;
  let accessToken: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' }, listen: true });
    accessToken = (await login(t, (await signUp(t)).username)).accessToken;
  });
  afterAll(() => t.close());

  const json = (method: 'post' | 'patch' | 'put', path: string, raw: string | Buffer) =>
    t.http()[method](path).set(bearer(accessToken)).set('Content-Type', 'application/json').send(raw);
  const bodyRoutes: ['post' | 'patch' | 'put', string][] = [
    ['post', SIGN_UP],
    ['post', LOGIN],
    ['post', '/api/v1/auth/refresh'],
    ['post', '/api/v1/auth/logout'],
    ['patch', '/api/v1/users/me'],
    ['put', '/api/v1/users/me/password'],
  ];

  it.each(bodyRoutes)('413 in Nest shape for a body over 64 KiB: %s %s', async (method, path) => {
    const res = await json(method, path, JSON.stringify({ firstName: 'x'.repeat(64 * 1024) })).expect(413);
    expect(res.body).toEqual({ statusCode: 413, message: 'Request body is too large', error: 'Payload Too Large' });
  });

  it('413 also for a chunked body with no Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${baseUrl(t.app)}${SIGN_UP}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expectNestError(await res.json(), 413);
  });

  it('a body just under 64 KiB is read (and refused for its content, not its size)', async () => {
    const res = await json('post', SIGN_UP, JSON.stringify({ firstName: 'x'.repeat(60 * 1024) })).expect(400);
    expectNestError(res.body, 400);
  });

  it.each([
    ['truncated', '{"login":'],
    ['unquoted keys', '{login: "a"}'],
    ['single quotes', "{'login': 'a'}"],
    ['a trailing comma', '{"login": "a",}'],
    ['empty', ''],
    ['prototype poisoning', '{"__proto__": {"isAdmin": true}, "login": "a", "password": "b"}'],
    ['constructor poisoning', '{"constructor": {"prototype": {"isAdmin": true}}}'],
  ])('400 in Nest shape for malformed JSON: %s', async (_case, raw) => {
    const res = await json('post', LOGIN, raw).expect(400);
    expectNestError(res.body, 400);
    expect(bodyOf<ErrorBody>(res).error).toBe('Bad Request');
  });

  it.each([['[]'], ['"text"'], ['42'], ['null'], ['true'], ['[{"login": "a", "password": "b"}]']])(
    '400 for a JSON body that is not an object: %s',
    async (raw) => {
      for (const [method, path] of bodyRoutes) {
        // Nest's ValidationPipe reads a null body as {}: for PATCH that is an empty change, like no body at all.
        if (raw === 'null' && method === 'patch') {
          await json(method, path, raw).expect(200);
          continue;
        }
        expectNestError((await json(method, path, raw).expect(400)).body, 400);
      }
    },
  );

  it('400 for absurdly nested JSON under the size limit (not a stack overflow)', async () => {
    for (const raw of [`{"login":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, `{"login":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`]) {
      for (const [method, path] of bodyRoutes) expectNestError((await json(method, path, raw).expect(400)).body, 400);
    }
  });

  it('415 in Nest shape for a content type the API does not read', async () => {
    const res = await t.http().post(SIGN_UP).set('Content-Type', 'application/xml').send('<user/>').expect(415);
    expectNestError(res.body, 415);
  });

  it.each([
    ['a username', SIGN_UP, { username: 'ada\u0000l', email: 'ada@example.com', password: PASSWORD }],
    ['an email', SIGN_UP, { username: 'ada_nul', email: 'ada\u0000@example.com', password: PASSWORD }],
    ['a password', SIGN_UP, { username: 'ada_nul', email: 'ada@example.com', password: `${PASSWORD}\u0000` }],
    ['a first name', SIGN_UP, { username: 'ada_nul', email: 'ada@example.com', password: PASSWORD, firstName: 'A\u0000' }],
    ['a key', SIGN_UP, { username: 'ada_nul', email: 'ada@example.com', password: PASSWORD, 'x\u0000': 1 }],
    ['a login', LOGIN, { login: 'ada\u0000', password: PASSWORD }],
    ['a refresh token', '/api/v1/auth/refresh', { refreshToken: 'abc\u0000' }],
  ])('400 for a NUL character in %s', async (_case, path, body) => {
    const res = await t.http().post(path).send(body).expect(400);
    expect(res.body).toEqual({ statusCode: 400, message: 'NUL characters are not allowed in input', error: 'Bad Request' });
  });

  it('400 for a NUL character or broken encoding in the URL', async () => {
    expectNestError((await t.http().get('/api/v1/users/ada%00l').expect(400)).body, 400);
    const res = await t.http().get('/api/v1/users/%E0%A4%A').expect(400);
    expect(res.body).toEqual({ statusCode: 400, message: expect.any(String), error: 'Bad Request' });
  });

  it('invalid UTF-8 in a JSON body is a 400, not a 500', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"username":"ab'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('","email":"a@b.co","password":"12345678"}'),
    ]);
    const res = await fetch(`${baseUrl(t.app)}${SIGN_UP}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: raw });
    expect(res.status).toBe(400);
    expectNestError(await res.json(), 400);
  });

  it('nothing a client sends produces a 5xx, and every error is Nest-shaped', async () => {
    const junk: unknown[] = [
      {},
      { username: 'a'.repeat(10_000), email: 'b'.repeat(10_000), password: 'c'.repeat(10_000) },
      { username: 1e308, email: -0, password: Number.MAX_SAFE_INTEGER },
      { username: { $ne: null }, email: ['x'], password: { length: 8 } },
      { login: "' OR 1=1 --", password: "' OR 1=1 --" },
      { login: 'ＡＤＡ', password: '𝒫𝒶𝓈𝓈𝓌𝑜𝓇𝒹' },
      { email: 'İ@example.com', firstName: '\uFE0F'.repeat(100), lastName: '\uD800' },
      { currentPassword: PASSWORD, newPassword: '\uD800'.repeat(24) },
      { refreshToken: '%00' },
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
    ];
    const routes: ['get' | 'post' | 'patch' | 'put' | 'delete', string, boolean][] = [
      ['post', SIGN_UP, false],
      ['post', LOGIN, false],
      ['post', '/api/v1/auth/refresh', false],
      ['post', '/api/v1/auth/logout', false],
      ['patch', '/api/v1/users/me', true],
      ['put', '/api/v1/users/me/password', true],
      ['get', '/api/v1/users/me', true],
      ['get', '/api/v1/users/%F0%9F%98%80', false],
      ['get', `/api/v1/users/${'a'.repeat(5000)}`, false],
      ['delete', '/api/v1/users/me', false],
    ];
    for (const [method, path, authenticated] of routes) {
      for (const body of junk) {
        const res = await t
          .http()
          [method](path)
          .set(authenticated ? bearer(accessToken) : {})
          .send(body as object);
        // Names the request in the failure message.
        expect({ method, path, body, serverError: res.status >= 500 }).toEqual({ method, path, body, serverError: false });
        if (res.status >= 400) expectNestError(res.body, res.status);
      }
    }
  });
});

describe('abuse: a deleted user’s still-valid access token in other modules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(() => t.close());

  it('a write that references the deleted caller answers 401 in Nest shape, not 500 or a foreign-key error', async () => {
    const user = await signUp(t);
    const { accessToken } = await login(t, user.username);
    await t.http().post('/api/v1/streams').set(bearer(accessToken)).send({}).expect(201);
    await t.http().delete('/api/v1/users/me').set(bearer(accessToken)).expect(204);
    const res = await t.http().post('/api/v1/streams').set(bearer(accessToken)).send({}).expect(401);
    expect(res.body).toEqual({ statusCode: 401, message: 'missing or invalid access token', error: 'Unauthorized' });
  });
});
