import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { ingestHooks, ownerStreams, type TestStream } from './helpers/ingest-hooks.js';
import { aUser } from './helpers/builders.js';
import { bodyOf, type ErrorBody } from './helpers/bodies.js';

/**
 * Reconnect windows, live periods, maximum continuous duration, and publishes we
 * lost track of (HTTP level, as nginx-rtmp calls; test/nginx-live.e2e-spec.ts does
 * the same with a real nginx and ffmpeg).
 */
describe('live periods (reconnect window, max duration, lost callbacks)', () => {
  let t: TestApp;
  let db: DataSource;
  let hooks: ReturnType<typeof ingestHooks>;
  let streams: ReturnType<typeof ownerStreams>;
  let nextClient = 1;
  const client = () => `c${nextClient++}`;

  beforeAll(async () => {
    t = await startTestApp({ env: { INGEST_SESSION_TIMEOUT_SECONDS: '10', MAX_LIVE_STREAMS_PER_USER: '0' } });
    db = t.app.get(DataSource);
    hooks = ingestHooks(t);
    streams = ownerStreams(t, await aUser(t));
  });
  afterAll(() => t.close());

  const periods = (stream: TestStream) =>
    db.query<{ id: string; idle_at: Date | null; ended_at: Date | null; end_reason: string | null }[]>(
      `SELECT id, idle_at, ended_at, end_reason FROM stream_live_periods WHERE stream_id = $1 ORDER BY id`,
      [stream.id],
    );
  const sessions = (stream: TestStream) =>
    db.query<{ client_id: string; live_period_id: string; ended_at: Date | null; end_reason: string | null }[]>(
      `SELECT client_id, live_period_id, ended_at, end_reason FROM publish_sessions WHERE stream_id = $1 ORDER BY id`,
      [stream.id],
    );
  const backdatePeriod = (stream: TestStream, seconds: number) =>
    db.query(`UPDATE stream_live_periods SET started_at = now() - make_interval(secs => $2) WHERE stream_id = $1 AND ended_at IS NULL`, [
      stream.id,
      seconds,
    ]);

  describe('reconnect window', () => {
    it('keeps the stream live after the last publisher left; a publish within it continues the same live period', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 30 });
      const [first, second] = [client(), client()];
      await hooks.nginx('on_publish', stream.streamKey, first).expect(200);
      await hooks.nginx('on_publish_done', stream.streamKey, first).expect(200);
      expect(await streams.statusOf(stream.id)).toBe('live');
      const [waiting] = await periods(stream);
      expect(waiting).toMatchObject({ ended_at: null, end_reason: null });
      expect(waiting.idle_at).toBeInstanceOf(Date);

      await hooks.nginx('on_publish', stream.streamKey, second).expect(200);
      expect(await streams.statusOf(stream.id)).toBe('live');
      const after = await periods(stream);
      expect(after).toEqual([{ id: waiting.id, idle_at: null, ended_at: null, end_reason: null }]);
      expect((await sessions(stream)).map((s) => [s.client_id, s.live_period_id])).toEqual([
        [first, waiting.id],
        [second, waiting.id],
      ]);
    });

    it('after the window the stream goes active within 5 s of its end, the period ends, and the next publish starts a new one', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 2 });
      const id = client();
      await hooks.nginx('on_publish', stream.streamKey, id).expect(200);
      await hooks.nginx('on_publish_done', stream.streamKey, id).expect(200);
      const [{ idle_at: windowEnd }] = await periods(stream);
      await waitFor(async () => (await streams.statusOf(stream.id)) === 'active', 10_000, 50, 'the stream did not go active');
      const lateMs = Date.now() - (windowEnd as Date).getTime();
      console.info(`[live-periods] active ${lateMs} ms after the reconnect window ended`);
      expect(lateMs).toBeGreaterThanOrEqual(0);
      expect(lateMs).toBeLessThan(5000);
      expect(await periods(stream)).toEqual([expect.objectContaining({ end_reason: 'idle', ended_at: expect.any(Date) })]);

      await hooks.nginx('on_publish', stream.streamKey, client()).expect(200);
      expect((await periods(stream)).map((p) => p.ended_at === null)).toEqual([false, true]);
    });

    it('0 ends the live period at once; a stream that can no longer publish ends it at once whatever the window', async () => {
      const none = await streams.create({ reconnectWindowSeconds: 0 });
      const id = client();
      await hooks.nginx('on_publish', none.streamKey, id).expect(200);
      await hooks.nginx('on_publish_done', none.streamKey, id).expect(200);
      expect(await streams.statusOf(none.id)).toBe('active');
      expect(await periods(none)).toEqual([expect.objectContaining({ end_reason: 'idle', ended_at: expect.any(Date) })]);

      const disabled = await streams.create({ reconnectWindowSeconds: 600 });
      const other = client();
      await hooks.nginx('on_publish', disabled.streamKey, other).expect(200);
      await streams.patch(disabled.id, { status: 'disabled' }).expect(200);
      await hooks.nginx('on_update', disabled.streamKey, other).expect(403);
      expect(await streams.statusOf(disabled.id)).toBe('disabled');
      expect(await periods(disabled)).toEqual([expect.objectContaining({ end_reason: 'idle', ended_at: expect.any(Date) })]);
    });
  });

  describe('maxContinuousSeconds', () => {
    it('cuts the publisher off at the first on_update past it; the key may publish again and starts a new period', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 60, maxContinuousSeconds: 60 });
      const id = client();
      await hooks.nginx('on_publish', stream.streamKey, id).expect(200);
      await hooks.nginx('on_update', stream.streamKey, id).expect(200);
      await backdatePeriod(stream, 61);
      const cut = await hooks.nginx('on_update', stream.streamKey, id);
      expect(cut.status).toBe(403);
      expect(bodyOf<ErrorBody>(cut).message).toBe('the live period ran longer than maxContinuousSeconds');
      // No reconnect window after a cut-off: the period is over.
      expect(await streams.statusOf(stream.id)).toBe('active');
      expect(await periods(stream)).toEqual([expect.objectContaining({ end_reason: 'max_duration' })]);
      expect(await sessions(stream)).toEqual([expect.objectContaining({ client_id: id, end_reason: 'max_duration' })]);
      await hooks.nginx('on_publish_done', stream.streamKey, id).expect(200);

      await hooks.nginx('on_publish', stream.streamKey, client()).expect(200);
      expect(await streams.statusOf(stream.id)).toBe('live');
      expect((await periods(stream)).length).toBe(2);
    });

    it('is counted over the live period: a reconnect within the window does not reset it', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 60, maxContinuousSeconds: 60 });
      const [before, after] = [client(), client()];
      await hooks.nginx('on_publish', stream.streamKey, before).expect(200);
      await backdatePeriod(stream, 45);
      await hooks.nginx('on_publish_done', stream.streamKey, before).expect(200);
      await hooks.nginx('on_publish', stream.streamKey, after).expect(200);
      await hooks.nginx('on_update', stream.streamKey, after).expect(200);
      await backdatePeriod(stream, 61);
      await hooks.nginx('on_update', stream.streamKey, after).expect(403);
    });

    it('ends every publisher of the period; one still reported afterwards is not taken up again', async () => {
      const stream = await streams.create({ maxContinuousSeconds: 60 });
      const [one, two] = [client(), client()];
      await hooks.nginx('on_publish', stream.streamKey, one).expect(200);
      await hooks.nginx('on_publish', stream.streamKey, two).expect(200);
      await backdatePeriod(stream, 61);
      await hooks.nginx('on_update', stream.streamKey, one).expect(403);
      expect(bodyOf<ErrorBody>(await hooks.nginx('on_update', stream.streamKey, two)).message).toBe(
        'the live period ran longer than maxContinuousSeconds',
      );
      expect((await sessions(stream)).map((s) => s.end_reason)).toEqual(['max_duration', 'max_duration']);
    });
  });

  describe('lost or late callbacks: on_update for a usable key whose session we do not know', () => {
    it('its on_publish never reached us: 2xx, the session is taken up and joins the live period', async () => {
      const stream = await streams.create();
      const known = client();
      await hooks.nginx('on_publish', stream.streamKey, known).expect(200);
      const lost = client();
      await hooks.nginx('on_update', stream.streamKey, lost).expect(200);
      const rows = await sessions(stream);
      expect(rows.map((s) => [s.client_id, s.ended_at])).toEqual([
        [known, null],
        [lost, null],
      ]);
      expect(rows[1].live_period_id).toBe(rows[0].live_period_id);
    });

    it('the quiet-session sweep closed it (notify_update_timeout longer than INGEST_SESSION_TIMEOUT_SECONDS): the same session is taken up again', async () => {
      const stream = await streams.create({ reconnectWindowSeconds: 120 });
      const id = client();
      await hooks.nginx('on_publish', stream.streamKey, id).expect(200);
      await db.query(`UPDATE publish_sessions SET last_seen_at = now() - interval '11 seconds' WHERE stream_id = $1`, [stream.id]);
      await t.app.get(Sweeper).runOnce();
      expect(await sessions(stream)).toEqual([expect.objectContaining({ end_reason: 'quiet' })]);
      expect(await streams.statusOf(stream.id)).toBe('live'); // within the window

      await hooks.nginx('on_update', stream.streamKey, id).expect(200);
      const [period] = await periods(stream);
      expect(await sessions(stream)).toEqual([{ client_id: id, live_period_id: period.id, ended_at: null, end_reason: null }]);
      expect(period).toMatchObject({ idle_at: null, ended_at: null });
    });

    it('the client id still names an older open session of another key (nginx restarted): 2xx, the old session ends', async () => {
      const before = await streams.create({ reconnectWindowSeconds: 0 });
      const after = await streams.create();
      await hooks.nginx('on_publish', before.streamKey, 'restarted-7').expect(200);
      // nginx restarts and counts from 1 again; its on_publish for the new publish was lost.
      await hooks.nginx('on_update', after.streamKey, 'restarted-7').expect(200);
      expect(await sessions(before)).toEqual([expect.objectContaining({ end_reason: 'displaced' })]);
      expect(await streams.statusOf(before.id)).toBe('active');
      expect(await sessions(after)).toEqual([expect.objectContaining({ client_id: 'restarted-7', ended_at: null })]);
      expect(await streams.statusOf(after.id)).toBe('live');
    });

    it('an unusable key is refused as before (unknown, disabled, rotated)', async () => {
      const disabled = await streams.create();
      await streams.patch(disabled.id, { status: 'disabled' }).expect(200);
      await hooks.nginx('on_update', 'unknownKeyThatIsLongEnough_123456789', client()).expect(403);
      await hooks.nginx('on_update', disabled.streamKey, client()).expect(403);
      expect(await sessions(disabled)).toEqual([]);

      // Rotated: neither the open session nor one we never heard of may go on with the old key.
      const stream = await streams.create({ reconnectWindowSeconds: 0 });
      const id = client();
      await hooks.nginx('on_publish', stream.streamKey, id).expect(200);
      await streams.rotate(stream.id);
      await hooks.nginx('on_update', stream.streamKey, client()).expect(403);
      await hooks.nginx('on_update', stream.streamKey, id).expect(403);
      expect(await sessions(stream)).toEqual([expect.objectContaining({ client_id: id, end_reason: 'refused' })]);
      expect(await streams.statusOf(stream.id)).toBe('active');
    });
  });
});
