import { DataSource } from 'typeorm';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';
import { aUser, type BuiltUser } from './helpers/builders.js';
import { waitFor } from './helpers/http.js';
import { RTMP_MODULE, startNginxRtmp, type NginxRtmp } from './helpers/nginx-rtmp.js';
import { describeWithTools } from './helpers/tools.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const WINDOW_SECONDS = 10;

/**
 * stream.live / stream.idle from a real nginx-rtmp and ffmpeg publish: StreamLiveness
 * records them in the transactions that start and end a live period, so a reconnect
 * within the window (same period) sends neither.
 */
describeWithTools('webhooks from a real RTMP publish (nginx-rtmp + ffmpeg)', ['nginx', RTMP_MODULE, 'ffmpeg'], () => {
  let t: TestApp;
  let owner: BuiltUser;
  let nginx: NginxRtmp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ listen: true, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', STREAM_SWEEP_INTERVAL_SECONDS: '1' } });
    owner = await aUser(t);
    await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: receiver.url }).expect(201);
    nginx = await startNginxRtmp({ apis: [baseUrl(t.app)], secret: t.config.ingestSecret, applications: { live: '1s' } });
  });
  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
    await receiver.stop();
  });

  it('one publish, a reconnect within the window: exactly one stream.live, then one stream.idle once the window has passed', async () => {
    const stream = bodyOf<StreamBody>(
      await t.http().post('/api/v1/streams').set(owner.auth).send({ reconnectWindowSeconds: WINDOW_SECONDS }).expect(201),
    );
    const db = t.app.get(DataSource);
    const windowEnd = async () =>
      (await db.query<Array<{ idle_at: Date | null }>>(`SELECT idle_at FROM stream_live_periods WHERE stream_id = $1`, [stream.id]))[0]
        ?.idle_at ?? null;
    const types = () => receiver.forStream(stream.id).map((r) => r.body.type);

    const first = nginx.publish(stream.streamKey, 2);
    await waitFor(() => Promise.resolve(types().includes('stream.live')), 10_000, 50, 'no stream.live while publishing');
    expect((await first.exited).code).toBe(0);
    await waitFor(async () => (await windowEnd()) !== null, 5000, 50, 'publish-done did not arrive');
    // The encoder comes back within the window: the same live period goes on, nothing is sent.
    const second = nginx.publish(stream.streamKey, 2);
    expect((await second.exited).code).toBe(0);
    await waitFor(async () => (await windowEnd()) !== null, 5000, 50, 'publish-done did not arrive');
    const end = (await windowEnd())!;
    expect(types()).toEqual(['stream.created', 'stream.live']);

    await waitFor(
      () => Promise.resolve(types().includes('stream.idle')),
      WINDOW_SECONDS * 1000 + 20_000,
      100,
      'no stream.idle after the window',
    );
    const idle = receiver.forStream(stream.id).find((r) => r.body.type === 'stream.idle')!;
    expect(idle.at).toBeGreaterThanOrEqual(end.getTime());
    console.info(`[webhook-nginx] stream.idle delivered ${idle.at - end.getTime()} ms after the reconnect window ended`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(types()).toEqual(['stream.created', 'stream.live', 'stream.idle']);
    expect(idle.body.data.stream).toMatchObject({ id: stream.id, status: 'active', reconnectWindowSeconds: WINDOW_SECONDS });
    expect(idle.rawBody).not.toContain(stream.streamKey);
  }, 90_000);
});
