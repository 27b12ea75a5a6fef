import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { ownerStreams, type TestStream } from './helpers/ingest-hooks.js';
import { RTMP_MODULE, startNginxRtmp, type NginxRtmp } from './helpers/nginx-rtmp.js';
import { describeWithTools } from './helpers/tools.js';
import { aUser } from './helpers/builders.js';

/**
 * Reconnect window, maximum continuous duration and lost callbacks with a real
 * nginx-rtmp calling the hooks and ffmpeg publishing. Two applications: `live`
 * (notify_update_timeout 1s) and `slow` (12s, longer than the app's
 * INGEST_SESSION_TIMEOUT_SECONDS of 10: the misconfiguration the README warns about).
 */
describeWithTools('live ingest with a real nginx-rtmp and ffmpeg', ['nginx', RTMP_MODULE, 'ffmpeg'], () => {
  let t: TestApp;
  let db: DataSource;
  let nginx: NginxRtmp;
  let streams: ReturnType<typeof ownerStreams>;

  beforeAll(async () => {
    t = await startTestApp({
      listen: true,
      env: { INGEST_SESSION_TIMEOUT_SECONDS: '10', STREAM_SWEEP_INTERVAL_SECONDS: '1', MAX_LIVE_STREAMS_PER_USER: '0' },
    });
    db = t.app.get(DataSource);
    streams = ownerStreams(t, await aUser(t));
    nginx = await startNginxRtmp({ apis: [baseUrl(t.app)], secret: t.config.ingestSecret, applications: { live: '1s', slow: '12s' } });
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
  });

  const waitForStatus = (stream: TestStream, status: string, ms: number) =>
    waitFor(async () => (await streams.statusOf(stream.id)) === status, ms, 100, `stream did not become ${status} within ${ms} ms`);
  const periods = (stream: TestStream) =>
    db.query<{ id: string; idle_at: Date | null; end_reason: string | null }[]>(
      `SELECT id, idle_at, end_reason FROM stream_live_periods WHERE stream_id = $1 ORDER BY id`,
      [stream.id],
    );
  const sessions = (stream: TestStream) =>
    db.query<{ id: string; live_period_id: string; ended_at: Date | null; end_reason: string | null }[]>(
      `SELECT id, live_period_id, ended_at, end_reason FROM publish_sessions WHERE stream_id = $1 ORDER BY id`,
      [stream.id],
    );

  it('an encoder that reconnects within the window continues the same live period; after the window the stream goes active within 5 s', async () => {
    const stream = await streams.create({ reconnectWindowSeconds: 10 });
    const first = nginx.publish(stream.streamKey, 2);
    await waitForStatus(stream, 'live', 5000);
    expect((await first.exited).code).toBe(0);
    await waitFor(async () => (await periods(stream))[0]?.idle_at !== null, 5000, 50, 'publish-done did not arrive');
    expect(await streams.statusOf(stream.id)).toBe('live');

    const second = nginx.publish(stream.streamKey, 2);
    await waitFor(async () => (await sessions(stream)).length === 2, 5000, 50, 'the reconnect did not arrive');
    expect((await second.exited).code).toBe(0);
    const [period] = await periods(stream);
    expect((await periods(stream)).length).toBe(1);
    expect((await sessions(stream)).map((s) => s.live_period_id)).toEqual([period.id, period.id]);

    await waitFor(async () => (await periods(stream))[0]?.idle_at !== null, 5000, 50, 'publish-done did not arrive');
    const [{ idle_at: windowEnd }] = await periods(stream);
    await waitForStatus(stream, 'active', 20_000);
    const lateMs = Date.now() - (windowEnd as Date).getTime();
    console.info(`[nginx-live] active ${lateMs} ms after the reconnect window ended`);
    expect(lateMs).toBeLessThan(5000);
    expect(await periods(stream)).toEqual([expect.objectContaining({ end_reason: 'idle' })]);
  }, 60_000);

  it('a live period past maxContinuousSeconds is cut off at the next on_update; the key publishes again in a new period', async () => {
    const stream = await streams.create({ reconnectWindowSeconds: 30, maxContinuousSeconds: 60 });
    const long = nginx.publish(stream.streamKey, 60);
    await waitForStatus(stream, 'live', 5000);
    await db.query(`UPDATE stream_live_periods SET started_at = now() - interval '61 seconds' WHERE stream_id = $1`, [stream.id]);
    const cutAt = Date.now();
    const result = await long.exited;
    console.info(`[nginx-live] cut off ${Date.now() - cutAt} ms after the period passed maxContinuousSeconds`);
    expect(result.code).not.toBe(0);
    expect(Date.now() - cutAt).toBeLessThan(5000);
    await waitForStatus(stream, 'active', 3000);

    const again = nginx.publish(stream.streamKey, 2);
    await waitForStatus(stream, 'live', 5000);
    expect((await again.exited).code).toBe(0);
    expect((await periods(stream)).map((p) => p.end_reason)).toEqual(['max_duration', null]);
  }, 60_000);

  it('its on_publish never reached us: the next on_update takes the publish up again and ffmpeg streams on', async () => {
    const stream = await streams.create({ reconnectWindowSeconds: 0 });
    const publisher = nginx.publish(stream.streamKey, 6);
    await waitForStatus(stream, 'live', 5000);
    // As if nothing had ever been recorded for this publish.
    await db.query(`DELETE FROM publish_sessions WHERE stream_id = $1`, [stream.id]);
    await waitFor(async () => (await sessions(stream)).length === 1, 5000, 50, 'on_update did not take the publish up');
    expect((await publisher.exited).code).toBe(0);
    await waitForStatus(stream, 'active', 5000);
    expect(await sessions(stream)).toEqual([expect.objectContaining({ end_reason: 'publish_done' })]);
  }, 30_000);

  it('notify_update_timeout longer than INGEST_SESSION_TIMEOUT_SECONDS: the sweep closes the session, the next on_update takes the same one up again; nobody is dropped', async () => {
    const stream = await streams.create({ reconnectWindowSeconds: 60 });
    const publisher = nginx.publish(stream.streamKey, 26, 'slow');
    await waitForStatus(stream, 'live', 5000);
    // 10 s without on_update, then the 1 s sweep closes it...
    await waitFor(
      async () => (await sessions(stream))[0]?.end_reason === 'quiet',
      20_000,
      200,
      'the sweep did not close the quiet session',
    );
    // ...and nginx's on_update at 12 s takes it up again instead of dropping the publisher.
    await waitFor(async () => (await sessions(stream))[0]?.ended_at === null, 10_000, 200, 'on_update did not take the session up again');
    expect(await streams.statusOf(stream.id)).toBe('live');
    const result = await publisher.exited;
    expect(result.code).toBe(0);
    expect(result.ms).toBeGreaterThan(25_000);
    await waitFor(async () => (await sessions(stream))[0]?.ended_at !== null, 5000, 100, 'publish-done did not arrive');
    expect(await sessions(stream)).toEqual([expect.objectContaining({ end_reason: 'publish_done' })]);
    expect((await periods(stream)).length).toBe(1);
  }, 60_000);

  it('nginx logged no hook URL with the secret', async () => {
    expect(await nginx.log()).not.toContain(t.config.ingestSecret);
  });
});
