import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { ingestHooks, ownerStreams, type TestStream } from './helpers/ingest-hooks.js';
import { aUser } from './helpers/builders.js';

/** MediaMTX and SRS liveness, and the retention of ended sessions (HTTP level, as those servers call). */
describe('MediaMTX and SRS liveness, session retention', () => {
  let t: TestApp;
  let db: DataSource;
  let hooks: ReturnType<typeof ingestHooks>;
  let streams: ReturnType<typeof ownerStreams>;

  beforeAll(async () => {
    t = await startTestApp({
      env: { INGEST_SESSION_TIMEOUT_SECONDS: '30', MAX_LIVE_STREAMS_PER_USER: '0', INGEST_SESSION_RETENTION_DAYS: '30' },
    });
    db = t.app.get(DataSource);
    hooks = ingestHooks(t);
    streams = ownerStreams(t, await aUser(t));
  });
  afterAll(() => t.close());

  const sessions = (stream: TestStream) =>
    db.query(
      `SELECT ingest, client_id, server_addr, remote_addr, heartbeat, ended_at, end_reason FROM publish_sessions WHERE stream_id = $1 ORDER BY id`,
      [stream.id],
    );
  const goQuiet = (stream: TestStream) =>
    db.query(`UPDATE publish_sessions SET last_seen_at = now() - interval '31 seconds' WHERE stream_id = $1 AND ended_at IS NULL`, [
      stream.id,
    ]);
  const sweep = () => t.app.get(Sweeper).runOnce();

  describe('MediaMTX runOnReady / runOnNotReady', () => {
    it('a ready publish shows live; not ready ends it (after the reconnect window)', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      await hooks.mediamtxAuth(`live/${stream.streamKey}`).expect(200);
      expect(await streams.statusOf(stream.id)).toBe('active'); // the auth hook only checks

      await hooks.mediamtxReady('on_ready', `live/${stream.streamKey}`, 'f1b2c3d4-0000-4000-8000-000000000001').expect(200);
      expect(await streams.statusOf(stream.id)).toBe('live');
      expect(await sessions(stream)).toEqual([
        expect.objectContaining({
          ingest: 'mediamtx',
          client_id: 'f1b2c3d4-0000-4000-8000-000000000001',
          heartbeat: false,
          ended_at: null,
        }),
      ]);

      await hooks.mediamtxReady('on_not_ready', `live/${stream.streamKey}`, 'f1b2c3d4-0000-4000-8000-000000000001').expect(200);
      expect(await streams.statusOf(stream.id)).toBe('active');
      expect(await sessions(stream)).toEqual([expect.objectContaining({ end_reason: 'publish_done' })]);
    });

    it('accepts JSON too; refuses an unusable key (403) and a missing source_id (400); the sweep leaves its sessions alone', async () => {
      const stream = await streams.create();
      const json = await t
        .http()
        .post(`/api/v1/ingest/mediamtx/on_ready?secret=${encodeURIComponent(t.config.ingestSecret)}`)
        .send({ path: `live/${stream.streamKey}`, source_type: 'srtConn', source_id: 'src-json' });
      expect(json.status).toBe(200);
      expect((await hooks.mediamtxReady('on_ready', 'live/unknownKeyThatIsLongEnough_123456789', 'src-x')).status).toBe(403);
      const missing = await t
        .http()
        .post(`/api/v1/ingest/mediamtx/on_ready?secret=${encodeURIComponent(t.config.ingestSecret)}`)
        .type('form')
        .send(`path=live/${stream.streamKey}`);
      expect(missing.status).toBe(400);
      expect(
        (await t.http().post('/api/v1/ingest/mediamtx/on_ready').type('form').send(`path=live/${stream.streamKey}&source_id=a`)).status,
      ).toBe(401);
      // No heartbeat from MediaMTX: the session ends only at runOnNotReady.
      await goQuiet(stream);
      await sweep();
      expect(await streams.statusOf(stream.id)).toBe('live');
    });
  });

  describe('SRS on_hls', () => {
    it('is the heartbeat: a session that sent one is closed by the quiet-session sweep when on_unpublish is lost', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      await hooks.srs('on_publish', stream.streamKey, 'srs-h1').expect(200);
      const hls = await hooks.srs('on_hls', stream.streamKey, 'srs-h1');
      expect(hls.status).toBe(200);
      expect(hls.text).toBe('0');
      expect(await sessions(stream)).toEqual([expect.objectContaining({ ingest: 'srs', client_id: 'srs-h1', heartbeat: true })]);
      // Heartbeats keep it open...
      await goQuiet(stream);
      await hooks.srs('on_hls', stream.streamKey, 'srs-h1').expect(200);
      await sweep();
      expect(await streams.statusOf(stream.id)).toBe('live');
      // ...and without them it is closed.
      await goQuiet(stream);
      await sweep();
      expect(await streams.statusOf(stream.id)).toBe('active');
      expect(await sessions(stream)).toEqual([expect.objectContaining({ end_reason: 'quiet' })]);
    });

    it('without HLS a session ends only at on_unpublish', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      await hooks.srs('on_publish', stream.streamKey, 'srs-nohls').expect(200);
      await goQuiet(stream);
      await sweep();
      expect(await streams.statusOf(stream.id)).toBe('live');
      await hooks.srs('on_unpublish', stream.streamKey, 'srs-nohls').expect(200);
      expect(await streams.statusOf(stream.id)).toBe('active');
    });

    it('a heartbeat for a publish we lost track of takes it up again, once; one naming the connection differently keeps the stream’s session', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      await hooks.srs('on_hls', stream.streamKey, 'srs-lost').expect(200);
      expect(await streams.statusOf(stream.id)).toBe('live');
      await hooks.srs('on_hls', stream.streamKey, 'srs-lost').expect(200);
      await hooks.srs('on_hls', stream.streamKey, 'srs-other-name').expect(200);
      expect(await sessions(stream)).toEqual([expect.objectContaining({ client_id: 'srs-lost', ended_at: null })]);
      // An unusable key is never taken up (SRS cannot be told to stop on on_hls; the answer stays 0).
      const disabled = await streams.create();
      await streams.patch(disabled.id, { status: 'disabled' }).expect(200);
      expect((await hooks.srs('on_hls', disabled.streamKey, 'srs-d')).text).toBe('0');
      expect(await sessions(disabled)).toEqual([]);
    });
  });

  describe('retention (INGEST_SESSION_RETENTION_DAYS)', () => {
    it('the housekeeping sweep deletes ended sessions older than the retention in batches; open and recent ones stay', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      await hooks.nginx('on_publish', stream.streamKey, 'kept-open').expect(200);
      await db.query(
        `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, remote_addr, started_at, last_seen_at, ended_at, end_reason)
         SELECT $1, 'nginx', 'old-' || i, '127.0.0.1', '203.0.113.9', now() - interval '40 days', now() - interval '40 days',
                now() - interval '31 days' + make_interval(secs => i), 'publish_done'
         FROM generate_series(1, 1200) i`,
        [stream.id],
      );
      await db.query(
        `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, started_at, last_seen_at, ended_at, end_reason)
         VALUES ($1, 'nginx', 'recent', '127.0.0.1', now() - interval '29 days', now() - interval '29 days', now() - interval '29 days', 'publish_done')`,
        [stream.id],
      );
      await sweep();
      const left = await db.query<{ client_id: string }[]>(
        `SELECT client_id FROM publish_sessions WHERE stream_id = $1 ORDER BY client_id`,
        [stream.id],
      );
      expect(left.map((r) => r.client_id)).toEqual(['kept-open', 'recent']);
    });
  });
});
