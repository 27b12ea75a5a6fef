import { createHash } from 'node:crypto';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { PASSWORD, signUp, uniqueName, type SignedUp } from './helpers/accounts.js';
import { query } from './helpers/database.js';

const LOGIN = '/api/v1/auth/login';
const LIMIT = 20; // AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES's default, which these apps run with
const TOO_MANY = { statusCode: 429, message: 'too many attempts, try again later', error: 'Too Many Requests' };

describe('per-account login limit (failed logins per account name, across addresses and instances)', () => {
  let a: TestApp;
  let b: TestApp;
  let victim: SignedUp;
  let bystander: SignedUp;
  // Every attempt from its own address: the per-IP limit (AUTH_RATE_LIMIT_PER_MINUTE, default 10) never fires.
  let address = 0;
  const nextAddress = () => `198.51.${Math.floor(++address / 250) % 250}.${(address % 250) + 1}`;

  beforeAll(async () => {
    a = await startTestApp({ env: { TRUST_PROXY: 'true' } });
    b = await startTestApp({ env: { TRUST_PROXY: 'true' }, sameDatabaseAs: a });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });
  beforeEach(async () => {
    await query(a.config.databaseUrl, 'TRUNCATE rate_limits');
    victim = await signUp(a);
    bystander = await signUp(a);
  });

  const attempt = (t: TestApp, login: string, password = 'wrong password') =>
    t.http().post(LOGIN).set('X-Forwarded-For', nextAddress()).send({ login, password });

  it('credential stuffing from 50 addresses on two instances: 20 failures, then 429 with Retry-After for that account only', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i % 2 ? a : b, victim.username)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50 - LIMIT);
    for (const res of results.filter((r) => r.status === 429)) {
      expect(res.body).toEqual(TOO_MANY);
      // The window is 15 minutes from the first failure.
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(800);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(900);
    }

    // The owner, with the right password, from a fresh address, on either instance: still 429 until the window ends.
    for (const t of [a, b]) expect((await attempt(t, victim.username, PASSWORD)).body).toEqual(TOO_MANY);
    // Other accounts are untouched.
    expect((await attempt(a, bystander.username, PASSWORD)).status).toBe(200);
    expect((await attempt(b, bystander.email, 'wrong password')).status).toBe(401);
  });

  it('an unknown login name is limited exactly like a known one (the answers tell nothing)', async () => {
    const statusesFor = async (login: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 2; i++) statuses.push((await attempt(i % 2 ? a : b, login)).status);
      return statuses;
    };
    const expected = [...Array<number>(LIMIT).fill(401), 429, 429];
    expect(await statusesFor(victim.username)).toEqual(expected);
    expect(await statusesFor(uniqueName('nobody'))).toEqual(expected);
    expect(await statusesFor('nobody@example.invalid')).toEqual(expected);
  });

  it('only failures count, the name is compared lower-cased, and a success does not reset the count', async () => {
    for (let i = 0; i < LIMIT - 1; i++) {
      expect((await attempt(a, i % 2 ? victim.username.toUpperCase() : victim.username)).status).toBe(401);
    }
    // The owner logs in (not a failure, not a reset), several times.
    for (let i = 0; i < 5; i++) expect((await attempt(b, victim.username, PASSWORD)).status).toBe(200);
    expect((await attempt(a, victim.username)).status).toBe(401); // the 20th failure
    expect((await attempt(b, victim.username)).status).toBe(429);
    expect((await attempt(a, victim.username, PASSWORD)).status).toBe(429);
  });

  it('stores no login name, only its SHA-256; the account answers again when its window is over', async () => {
    const mixedCase = victim.username.toUpperCase();
    for (let i = 0; i <= LIMIT; i++) await attempt(a, mixedCase);
    const { rows } = await query(a.config.databaseUrl, `SELECT key, hits FROM rate_limits WHERE key LIKE 'login:%'`);
    const hashed = `login:${createHash('sha256').update(victim.username.toLowerCase()).digest('hex')}`;
    expect(rows).toEqual([{ key: hashed, hits: LIMIT }]);
    const everything = JSON.stringify((await query(a.config.databaseUrl, 'SELECT * FROM rate_limits')).rows).toLowerCase();
    expect(everything).not.toContain(victim.username.toLowerCase());

    expect((await attempt(a, victim.username, PASSWORD)).status).toBe(429);
    // As 15 minutes passing would.
    await query(a.config.databaseUrl, `UPDATE rate_limits SET expires_at = now() - interval '1 second' WHERE key = $1`, [hashed]);
    expect((await attempt(a, victim.username, PASSWORD)).status).toBe(200);
    expect((await attempt(a, victim.username)).status).toBe(401);
  });

  it('the sweep deletes failed-login counters whose window is over', async () => {
    await query(
      a.config.databaseUrl,
      `INSERT INTO rate_limits (key, hits, expires_at) VALUES
         ('login:old', 3, now() - interval '1 second'), ('login:live', 3, now() + interval '1 minute')`,
    );
    await a.app.get(Sweeper).runOnce();
    const { rows } = await query(a.config.databaseUrl, `SELECT key FROM rate_limits WHERE key LIKE 'login:%' ORDER BY key`);
    expect(rows.map((r) => r.key)).toEqual(['login:live']);
  });
});

describe('per-account login limit: AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0', AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES: '0' } });
  });
  afterAll(() => t.close());

  it('0 turns it off', async () => {
    const user = await signUp(t);
    for (let i = 0; i < LIMIT + 5; i++) {
      expect((await t.http().post(LOGIN).send({ login: user.username, password: 'wrong password' })).status).toBe(401);
    }
    expect((await t.http().post(LOGIN).send({ login: user.username, password: PASSWORD })).status).toBe(200);
    expect((await query(t.config.databaseUrl, 'SELECT count(*)::int AS n FROM rate_limits')).rows[0].n).toBe(0);
  });
});
