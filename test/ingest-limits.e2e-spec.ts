import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from './helpers/app.js';
import { ingestHooks, ownerStreams } from './helpers/ingest-hooks.js';
import { aUser } from './helpers/builders.js';
import { bodyOf, type ErrorBody, type StreamBody, type StreamPageBody, type ValidationErrorBody } from './helpers/bodies.js';

/** Per-stream live settings, MAX_STREAMS_PER_USER and MAX_LIVE_STREAMS_PER_USER, also under concurrent requests. */
describe('live settings and per-user limits', () => {
  let t: TestApp;
  let db: DataSource;
  let hooks: ReturnType<typeof ingestHooks>;
  const LIMIT = 20;
  const LIVE_LIMIT = 3;

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_STREAMS_PER_USER: String(LIMIT), MAX_LIVE_STREAMS_PER_USER: String(LIVE_LIMIT) } });
    db = t.app.get(DataSource);
    hooks = ingestHooks(t);
  });
  afterAll(() => t.close());

  describe('reconnectWindowSeconds / maxContinuousSeconds', () => {
    it('are set on create and PATCH within their ranges, shown in Stream, and kept by other changes', async () => {
      const owner = ownerStreams(t, await aUser(t));
      const stream = await owner.create({ reconnectWindowSeconds: 0, maxContinuousSeconds: 86_400 });
      expect(stream).toMatchObject({ reconnectWindowSeconds: 0, maxContinuousSeconds: 86_400 });
      const patched = bodyOf<StreamBody>(await owner.patch(stream.id, { reconnectWindowSeconds: 1800 }).expect(200));
      expect(patched).toMatchObject({ reconnectWindowSeconds: 1800, maxContinuousSeconds: 86_400 });
      expect((await owner.patch(stream.id, { maxContinuousSeconds: 60, status: 'disabled' }).expect(200)).body).toMatchObject({
        reconnectWindowSeconds: 1800,
        maxContinuousSeconds: 60,
        status: 'disabled',
      });
      expect(await owner.get(stream.id)).toMatchObject({ reconnectWindowSeconds: 1800, maxContinuousSeconds: 60 });
    });

    it.each([
      [{ reconnectWindowSeconds: -1 }],
      [{ reconnectWindowSeconds: 1801 }],
      [{ reconnectWindowSeconds: 1.5 }],
      [{ reconnectWindowSeconds: '60' }],
      [{ reconnectWindowSeconds: null }],
      [{ maxContinuousSeconds: 59 }],
      [{ maxContinuousSeconds: 86_401 }],
      [{ maxContinuousSeconds: 'forever' }],
    ])('400 for %j on create and PATCH', async (body) => {
      const user = await aUser(t);
      const owner = ownerStreams(t, user);
      const res = await t.http().post('/api/v1/streams').set(user.auth).send(body);
      expect(res.status).toBe(400);
      expect(bodyOf<ValidationErrorBody>(res).message.join(' ')).toMatch(/reconnectWindowSeconds|maxContinuousSeconds/);
      const stream = await owner.create();
      expect((await owner.patch(stream.id, body)).status).toBe(400);
    });

    it('rows written by older clients get the defaults', async () => {
      const user = await aUser(t);
      await db.query(`INSERT INTO streams (user_id, stream_key, expires_at) VALUES ($1, 'live_legacy_0001', now() + interval '1 day')`, [
        user.id,
      ]);
      const body = bodyOf<StreamPageBody>(await t.http().get('/api/v1/streams').set(user.auth).expect(200));
      expect(body.items[0]).toMatchObject({ reconnectWindowSeconds: 60, maxContinuousSeconds: 43_200 });
    });
  });

  describe('MAX_STREAMS_PER_USER', () => {
    it('403 {reason: "stream_limit"} at the limit; others are not affected; deleting one makes room', async () => {
      const user = await aUser(t);
      const owner = ownerStreams(t, user);
      const made = [];
      for (let i = 0; i < LIMIT; i++) made.push(await owner.create());
      const refused = await t.http().post('/api/v1/streams').set(user.auth).send({});
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        message: `at most ${LIMIT} streams per user`,
        error: 'Forbidden',
        reason: 'stream_limit',
      });
      await ownerStreams(t, await aUser(t)).create();
      await t.http().delete(`/api/v1/streams/${made[0].id}`).set(user.auth).expect(204);
      await owner.create();
    });

    it('holds under concurrency: 30 parallel creates from zero produce exactly the limit', async () => {
      const user = await aUser(t);
      const answers = await Promise.all(Array.from({ length: LIMIT + 10 }, () => t.http().post('/api/v1/streams').set(user.auth).send({})));
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(LIMIT);
      expect(statuses.filter((s) => s === 403)).toHaveLength(10);
      const [{ n }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM streams WHERE user_id = $1`, [user.id]);
      expect(n).toBe(LIMIT);
    });

    it('holds under concurrency: 20 parallel creates at limit − 1 produce exactly one', async () => {
      const user = await aUser(t);
      const owner = ownerStreams(t, user);
      for (let i = 0; i < LIMIT - 1; i++) await owner.create();
      const answers = await Promise.all(Array.from({ length: 20 }, () => t.http().post('/api/v1/streams').set(user.auth).send({})));
      expect(answers.filter((res) => res.status === 201)).toHaveLength(1);
      expect(answers.filter((res) => res.status === 403)).toHaveLength(19);
    });
  });

  describe('MAX_LIVE_STREAMS_PER_USER', () => {
    it('a publish beyond it is refused by every adapter; a stream already live (reconnect, second publisher) is not', async () => {
      const user = await aUser(t);
      const owner = ownerStreams(t, user);
      const live = [];
      for (let i = 0; i < LIVE_LIMIT; i++) {
        const stream = await owner.create();
        await hooks.nginx('on_publish', stream.streamKey, `limit-${user.id}-${i}`).expect(200);
        live.push(stream);
      }
      const next = await owner.create();
      const nginx = await hooks.nginx('on_publish', next.streamKey, `limit-${user.id}-x`);
      expect(nginx.status).toBe(403);
      expect(bodyOf<ErrorBody>(nginx).message).toBe('the owner already has MAX_LIVE_STREAMS_PER_USER live streams');
      // nginx's on_update for a publish it has no session of is refused the same way.
      await hooks.nginx('on_update', next.streamKey, `limit-${user.id}-y`).expect(403);
      expect((await hooks.srs('on_publish', next.streamKey, `srs-${user.id}`)).status).toBe(403);
      expect((await hooks.mediamtxAuth(`live/${next.streamKey}`)).status).toBe(401);
      expect((await hooks.mediamtxReady('on_ready', `live/${next.streamKey}`, `mtx-${user.id}`)).status).toBe(403);
      const lookup = await hooks.lookup(next.streamKey);
      expect(lookup.status).toBe(403);
      expect(bodyOf<ErrorBody>(lookup).reason).toBe('live_limit');
      expect(await owner.statusOf(next.id)).toBe('active');

      // Already live: a second publisher, and the key lookup, are fine.
      await hooks.nginx('on_publish', live[0].streamKey, `limit-${user.id}-again`).expect(200);
      await hooks.lookup(live[0].streamKey).expect(200);
      // Another user's streams are not counted.
      const other = ownerStreams(t, await aUser(t));
      await hooks.nginx('on_publish', (await other.create()).streamKey, `limit-other-${user.id}`).expect(200);
      // A stream whose live period ended (here: no reconnect window) frees a slot.
      await owner.patch(live[1].id, { reconnectWindowSeconds: 0 }).expect(200);
      await hooks.nginx('on_publish_done', live[1].streamKey, `limit-${user.id}-1`).expect(200);
      await hooks.nginx('on_publish', next.streamKey, `limit-${user.id}-z`).expect(200);
    });

    it('holds under concurrency: 34 parallel publishes (nginx and SRS) of 17 streams at limit − 1 make exactly one more live', async () => {
      const user = await aUser(t);
      const owner = ownerStreams(t, user);
      const first = await owner.create();
      await hooks.nginx('on_publish', first.streamKey, `par-${user.id}-0`).expect(200);
      const second = await owner.create();
      await hooks.nginx('on_publish', second.streamKey, `par-${user.id}-1`).expect(200);
      const candidates = [];
      for (let i = 0; i < 17; i++) candidates.push(await owner.create());
      const answers = await Promise.all(
        candidates.flatMap((stream, i) => [
          hooks.nginx('on_publish', stream.streamKey, `par-${user.id}-n${i}`),
          hooks.srs('on_publish', stream.streamKey, `par-${user.id}-s${i}`),
        ]),
      );
      const [{ n }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM streams WHERE user_id = $1 AND status = 'live'`, [
        user.id,
      ]);
      expect(n).toBe(LIVE_LIMIT);
      // Both publishes of the winning stream may pass (a second publisher on a live key is allowed).
      const allowed = answers.filter((res) => res.status === 200).length;
      expect(allowed).toBeGreaterThanOrEqual(1);
      expect(allowed).toBeLessThanOrEqual(2);
    });
  });
});
