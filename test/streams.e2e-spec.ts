import { DataSource } from 'typeorm';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { aUser, type BuiltUser } from './helpers/builders.js';
import { bodyOf, type ErrorBody, type StreamBody, type StreamPageBody } from './helpers/bodies.js';

const KEY_SHAPE = /^[A-Za-z0-9_-]{22,64}$/;
const MISSING_ID = 2_000_000_000;

describe('streams (owner routes, real PostgreSQL)', () => {
  let t: TestApp;
  let db: DataSource;
  let alice: BuiltUser;
  let bob: BuiltUser;

  beforeAll(async () => {
    // Users here own thousands of streams (the sweep test); the per-user limits have their own suite.
    t = await startTestApp({ env: { MAX_STREAMS_PER_USER: '0' } });
    db = t.app.get(DataSource);
    alice = await aUser(t);
    bob = await aUser(t);
  });
  afterAll(() => t.close());

  const create = async (user: BuiltUser, body: object = {}) =>
    bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(user.auth).send(body).expect(201));
  const lookup = (key: string) => t.http().get(`/api/v1/ingest/keys/${key}`).set('Authorization', `Bearer ${t.config.ingestSecret}`);
  const expireInDatabase = (id: number) => db.query(`UPDATE streams SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
  const storedStatus = async (id: number) =>
    (await db.query<{ status: string }[]>(`SELECT status FROM streams WHERE id = $1`, [id]))[0]?.status;

  describe('POST /api/v1/streams', () => {
    it('creates an active stream with a URL-safe 256-bit key and the default expiry', async () => {
      const before = Date.now();
      const stream = await create(alice);
      expect(Object.keys(stream).sort()).toEqual([
        'createdAt',
        'expiresAt',
        'id',
        'maxContinuousSeconds',
        'reconnectWindowSeconds',
        'status',
        'streamKey',
        'updatedAt',
        'userId',
      ]);
      expect(stream).toMatchObject({ reconnectWindowSeconds: 60, maxContinuousSeconds: 43_200 });
      expect(stream.userId).toBe(alice.id);
      expect(stream.status).toBe('active');
      expect(stream.streamKey).toMatch(KEY_SHAPE);
      expect(Buffer.from(stream.streamKey, 'base64url').length).toBeGreaterThanOrEqual(16);
      const ttl = (Date.parse(stream.expiresAt) - before) / 1000;
      expect(ttl).toBeGreaterThan(604_800 - 5);
      expect(ttl).toBeLessThan(604_800 + 5);
    });

    it('takes expiresInSeconds from 60 to 31,536,000', async () => {
      const short = await create(alice, { expiresInSeconds: 60 });
      expect(Date.parse(short.expiresAt) - Date.parse(short.createdAt!)).toBeCloseTo(60_000, -3);
      const long = await create(alice, { expiresInSeconds: 31_536_000 });
      expect(Date.parse(long.expiresAt) - Date.parse(long.createdAt!)).toBeCloseTo(31_536_000_000, -3);
      for (const expiresInSeconds of [59, 31_536_001, 0, -5, 1.5, '600', null]) {
        const res = await t.http().post('/api/v1/streams').set(alice.auth).send({ expiresInSeconds }).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      }
    });

    it('rejects unknown fields (no mass assignment of status, key or owner)', async () => {
      for (const body of [{ status: 'live' }, { streamKey: 'mine' }, { userId: bob.id }]) {
        await t.http().post('/api/v1/streams').set(alice.auth).send(body).expect(400);
      }
    });

    it('works without a body', async () => {
      const res = await t.http().post('/api/v1/streams').set(alice.auth).expect(201);
      expect(bodyOf<StreamBody>(res).status).toBe('active');
    });

    it('needs an access token', async () => {
      await t.http().post('/api/v1/streams').send({}).expect(401);
      await t.http().post('/api/v1/streams').set('Authorization', 'Bearer nope').send({}).expect(401);
    });

    it('answers 401 when the token outlived its user', async () => {
      const ghost = await aUser(t);
      await db.query(`DELETE FROM users WHERE id = $1`, [ghost.id]);
      await t.http().post('/api/v1/streams').set(ghost.auth).send({}).expect(401);
    });

    it('gives every stream its own key', async () => {
      const keys = await Promise.all(Array.from({ length: 20 }, () => create(bob).then((s) => s.streamKey)));
      expect(new Set(keys).size).toBe(20);
    });
  });

  describe('ownership', () => {
    let bobs: { id: number; streamKey: string };
    beforeAll(async () => {
      bobs = await create(bob);
    });

    it("another user's stream is a 404 for get, patch, rotate and delete, and stays untouched", async () => {
      await t.http().get(`/api/v1/streams/${bobs.id}`).set(alice.auth).expect(404);
      await t.http().patch(`/api/v1/streams/${bobs.id}`).set(alice.auth).send({ status: 'disabled' }).expect(404);
      await t.http().post(`/api/v1/streams/${bobs.id}/key`).set(alice.auth).expect(404);
      await t.http().delete(`/api/v1/streams/${bobs.id}`).set(alice.auth).expect(404);
      const mine = await t.http().get(`/api/v1/streams/${bobs.id}`).set(bob.auth).expect(200);
      expect(mine.body).toMatchObject({ id: bobs.id, streamKey: bobs.streamKey, status: 'active' });
    });

    it('a 404 looks the same for a missing, a foreign and a malformed id', async () => {
      const foreign = await t.http().get(`/api/v1/streams/${bobs.id}`).set(alice.auth).expect(404);
      const missing = await t.http().get(`/api/v1/streams/${MISSING_ID}`).set(alice.auth).expect(404);
      expect(foreign.body).toEqual(missing.body);
      // Not an integer, or beyond PostgreSQL's integer: no such stream either (never a 500).
      for (const malformed of ['not-a-number', '0', '-1', '1.5', '01', '2147483648', '99999999999999999999', '1e3', '%20']) {
        const res = await t.http().get(`/api/v1/streams/${malformed}`).set(alice.auth);
        expect([malformed, res.status, res.body]).toEqual([malformed, 404, missing.body]);
      }
      expect(missing.body).toEqual({ statusCode: 404, message: 'stream not found', error: 'Not Found' });
    });

    it('needs an access token on every route', async () => {
      await t.http().get('/api/v1/streams').expect(401);
      await t.http().get(`/api/v1/streams/${bobs.id}`).expect(401);
      await t.http().patch(`/api/v1/streams/${bobs.id}`).send({ status: 'disabled' }).expect(401);
      await t.http().post(`/api/v1/streams/${bobs.id}/key`).expect(401);
      await t.http().delete(`/api/v1/streams/${bobs.id}`).expect(401);
    });

    it("never lists another user's streams", async () => {
      const res = await t.http().get('/api/v1/streams?limit=100').set(alice.auth).expect(200);
      expect(bodyOf<StreamPageBody>(res).items.length).toBeGreaterThan(0);
      expect(bodyOf<StreamPageBody>(res).items.every((s: { userId: number }) => s.userId === alice.id)).toBe(true);
      expect(JSON.stringify(res.body)).not.toContain(bobs.streamKey);
    });
  });

  describe('PATCH /api/v1/streams/:id', () => {
    it('disables and re-enables; the ingest lookup follows', async () => {
      const stream = await create(alice);
      const disabled = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({ status: 'disabled' }).expect(200);
      expect(bodyOf<StreamBody>(disabled).status).toBe('disabled');
      expect(Date.parse(bodyOf<StreamBody>(disabled).updatedAt!)).toBeGreaterThanOrEqual(Date.parse(stream.updatedAt!));
      expect(bodyOf<ErrorBody>(await lookup(stream.streamKey).expect(403)).reason).toBe('disabled');
      const active = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({ status: 'active' }).expect(200);
      expect(bodyOf<StreamBody>(active).status).toBe('active');
      await lookup(stream.streamKey).expect(200);
    });

    it('moves expiresAt within 60 s … 365 days from now', async () => {
      const stream = await create(alice);
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const res = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({ expiresAt }).expect(200);
      expect(bodyOf<StreamBody>(res).expiresAt).toBe(expiresAt);
      expect(bodyOf<StreamBody>(res).streamKey).toBe(stream.streamKey);
      const bad = [
        new Date(Date.now() - 1000).toISOString(),
        new Date(Date.now() + 10_000).toISOString(),
        new Date(Date.now() + 366 * 86_400_000).toISOString(),
        '2030-01-01T00:00:00', // no zone
        'tomorrow',
        12345,
      ];
      for (const value of bad) {
        const r = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({ expiresAt: value }).expect(400);
        expect(bodyOf<ErrorBody>(r).statusCode).toBe(400);
      }
    });

    it('refuses system statuses and unknown fields', async () => {
      const stream = await create(alice);
      for (const body of [
        { status: 'live' },
        { status: 'expired' },
        { status: 'ACTIVE' },
        { status: null },
        { expiresAt: null },
        { streamKey: 'x' },
        { userId: bob.id },
      ]) {
        await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send(body).expect(400);
      }
    });

    it('an empty patch changes nothing', async () => {
      const stream = await create(alice);
      const res = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({}).expect(200);
      expect(res.body).toEqual(stream);
    });

    it('a new expiresAt renews a stream the sweep already marked expired', async () => {
      const stream = await create(alice);
      await expireInDatabase(stream.id);
      await t.app.get(Sweeper).runOnce();
      expect(await storedStatus(stream.id)).toBe('expired');
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const res = await t.http().patch(`/api/v1/streams/${stream.id}`).set(alice.auth).send({ expiresAt }).expect(200);
      expect(bodyOf<StreamBody>(res).status).toBe('active');
      await lookup(stream.streamKey).expect(200);
    });
  });

  describe('POST /api/v1/streams/:id/key', () => {
    it('rotates the key: the old one is refused at once, the new one works', async () => {
      const stream = await create(alice);
      await lookup(stream.streamKey).expect(200);
      const res = await t.http().post(`/api/v1/streams/${stream.id}/key`).set(alice.auth).expect(200);
      expect(bodyOf<StreamBody>(res).id).toBe(stream.id);
      expect(bodyOf<StreamBody>(res).streamKey).toMatch(KEY_SHAPE);
      expect(bodyOf<StreamBody>(res).streamKey).not.toBe(stream.streamKey);
      await lookup(stream.streamKey).expect(404);
      await lookup(bodyOf<StreamBody>(res).streamKey).expect(200);
    });
  });

  describe('DELETE /api/v1/streams/:id', () => {
    it('deletes: 204, then 404 everywhere, key unknown', async () => {
      const stream = await create(alice);
      await t.http().delete(`/api/v1/streams/${stream.id}`).set(alice.auth).expect(204);
      await t.http().get(`/api/v1/streams/${stream.id}`).set(alice.auth).expect(404);
      await t.http().delete(`/api/v1/streams/${stream.id}`).set(alice.auth).expect(404);
      await lookup(stream.streamKey).expect(404);
    });
  });

  describe('GET /api/v1/streams', () => {
    let carol: BuiltUser;
    beforeEach(async () => {
      carol = await aUser(t);
    });

    const pageThrough = async (user: BuiltUser, query: string, onPage?: (n: number) => Promise<void>) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 100; n++) {
        const url: string = `/api/v1/streams?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await t.http().get(url).set(user.auth).expect(200);
        seen.push(...bodyOf<StreamPageBody>(res).items.map((s: { id: number }) => s.id));
        cursor = bodyOf<StreamPageBody>(res).nextCursor;
        if (!cursor) break;
        await onPage?.(n);
      }
      return seen;
    };

    it('is newest first with default limit 20 and a null cursor on the last page', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 22; i++) ids.push((await create(carol)).id);
      const first = await t.http().get('/api/v1/streams').set(carol.auth).expect(200);
      expect(bodyOf<StreamPageBody>(first).items).toHaveLength(20);
      expect(bodyOf<StreamPageBody>(first).items.map((s: { id: number }) => s.id)).toEqual(ids.slice().reverse().slice(0, 20));
      expect(typeof bodyOf<StreamPageBody>(first).nextCursor).toBe('string');
      const second = await t
        .http()
        .get(`/api/v1/streams?cursor=${bodyOf<StreamPageBody>(first).nextCursor}`)
        .set(carol.auth)
        .expect(200);
      expect(bodyOf<StreamPageBody>(second).items.map((s: { id: number }) => s.id)).toEqual([ids[1], ids[0]]);
      expect(bodyOf<StreamPageBody>(second).nextCursor).toBeNull();
    });

    it('returns every stream exactly once, also with many sharing one created_at', async () => {
      await db.query(
        `INSERT INTO streams (user_id, stream_key, expires_at, created_at)
         SELECT $1, replace(gen_random_uuid()::text, '-', ''), now() + interval '1 day', timestamptz '2024-05-05 05:05:05.123456+00'
         FROM generate_series(1, 13)`,
        [carol.id],
      );
      for (let i = 0; i < 4; i++) await create(carol);
      const expected = (await db.query<{ id: number }[]>(`SELECT id FROM streams WHERE user_id = $1`, [carol.id])).map(
        (r: { id: number }) => r.id,
      );
      const seen = await pageThrough(carol, 'limit=3');
      expect(seen).toHaveLength(17);
      expect(new Set(seen).size).toBe(17);
      expect(seen.sort()).toEqual(expected.sort());
    });

    it('is stable while streams are inserted between pages', async () => {
      const before: number[] = [];
      for (let i = 0; i < 9; i++) before.push((await create(carol)).id);
      const inserted: number[] = [];
      const seen = await pageThrough(carol, 'limit=2', async () => {
        inserted.push((await create(carol)).id);
      });
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(before.slice().reverse());
      expect(inserted.length).toBeGreaterThan(0);
    });

    it('filters by status, with expired computed from expiresAt before any sweep', async () => {
      const active = await create(carol);
      const disabled = await create(carol);
      const lapsed = await create(carol);
      await t.http().patch(`/api/v1/streams/${disabled.id}`).set(carol.auth).send({ status: 'disabled' }).expect(200);
      await expireInDatabase(lapsed.id);
      expect(await storedStatus(lapsed.id)).toBe('active');

      const ids = async (status: string) =>
        bodyOf<StreamPageBody>(await t.http().get(`/api/v1/streams?status=${status}`).set(carol.auth).expect(200)).items.map(
          (s: { id: number }) => s.id,
        );
      expect(await ids('active')).toEqual([active.id]);
      expect(await ids('disabled')).toEqual([disabled.id]);
      expect(await ids('expired')).toEqual([lapsed.id]);
      expect(await ids('live')).toEqual([]);
      const shown = await t.http().get(`/api/v1/streams/${lapsed.id}`).set(carol.auth).expect(200);
      expect(bodyOf<StreamBody>(shown).status).toBe('expired');
    });

    it('rejects a bad limit, status or cursor with 400', async () => {
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const bad = [
        'limit=0',
        'limit=101',
        'limit=abc',
        'limit=2.5',
        'status=bogus',
        'cursor=%%%',
        'cursor=bm90LWpzb24',
        `cursor=${forged({ a: 1 })}`,
        `cursor=${forged(['2024-01-01T00:00:00.000000Z', 'not-a-number'])}`,
        `cursor=${forged(['2024-01-01T00:00:00.000000Z', 2 ** 31])}`,
        `cursor=${forged(['2024-01-01T00:00:00.000000Z', 1.5])}`,
        `cursor=${forged(['2024-02-30T00:00:00.000000Z', MISSING_ID])}`,
        `cursor=${forged(['yesterday', MISSING_ID])}`,
        `cursor=${'A'.repeat(300)}`,
        'unknown=1',
      ];
      for (const query of bad) {
        const res = await t.http().get(`/api/v1/streams?${query}`).set(carol.auth);
        expect({ query, status: res.status }).toEqual({ query, status: 400 });
        expect(bodyOf<ErrorBody>(res).error).toBe('Bad Request');
      }
      await t.http().get(`/api/v1/streams?limit=1&limit=2`).set(carol.auth).expect(400);
    });
  });

  describe('the expiry sweep', () => {
    it('rewrites streams past expiresAt to expired in batches; other rows untouched', async () => {
      const dave = await aUser(t);
      await db.query(
        `INSERT INTO streams (user_id, stream_key, expires_at)
         SELECT $1, replace(gen_random_uuid()::text, '-', ''), now() - interval '1 minute' FROM generate_series(1, 1234)`,
        [dave.id],
      );
      const fresh = await create(dave);
      const disabled = await create(dave);
      await t.http().patch(`/api/v1/streams/${disabled.id}`).set(dave.auth).send({ status: 'disabled' }).expect(200);

      // Two instances sweeping at once split the rows between them (FOR UPDATE SKIP LOCKED).
      const other = await startTestApp({ sameDatabaseAs: t });
      try {
        await Promise.all([t.app.get(Sweeper).runOnce(), other.app.get(Sweeper).runOnce()]);
      } finally {
        await other.close();
      }
      const counts = await db.query<{ status: string; n: number }[]>(
        `SELECT status, count(*)::int AS n FROM streams WHERE user_id = $1 GROUP BY status ORDER BY status`,
        [dave.id],
      );
      expect(counts).toEqual([
        { status: 'active', n: 1 },
        { status: 'disabled', n: 1 },
        { status: 'expired', n: 1234 },
      ]);
      expect(await storedStatus(fresh.id)).toBe('active');
    });

    it('runs by itself every STREAM_SWEEP_INTERVAL_SECONDS', async () => {
      const fast = await startTestApp({ env: { STREAM_SWEEP_INTERVAL_SECONDS: '1' }, sameDatabaseAs: t });
      try {
        const stream = await create(alice);
        await expireInDatabase(stream.id);
        const deadline = Date.now() + 5000;
        while ((await storedStatus(stream.id)) !== 'expired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        expect(await storedStatus(stream.id)).toBe('expired');
      } finally {
        await fast.close();
      }
    });

    it('walks the partial expires_at index, not the whole table', async () => {
      // Small test tables would be seq-scanned, and with the statistics of this file's rows the
      // planner may prefer idx_streams_status: both are ruled out (rolled back) to show that the
      // partial index's predicate matches the sweep's query and serves it.
      const runner = db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      let plan: { 'QUERY PLAN': string }[];
      try {
        await runner.query(`SET LOCAL enable_seqscan = off`);
        await runner.query(`DROP INDEX idx_streams_status`);
        plan = (await runner.query(
          `EXPLAIN SELECT id FROM streams WHERE status IN ('active', 'live', 'disabled') AND expires_at <= now() ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
        )) as { 'QUERY PLAN': string }[];
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      expect(JSON.stringify(plan)).toContain('idx_streams_expires_at');
    });
  });
});
