import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/database/embedded-postgres.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { describeWithTools, findTool } from './helpers/tools.js';
import { aUser as createUser, type BuiltUser as TestUser } from './helpers/builders.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';

const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const NGINX = findTool('nginx') ?? 'nginx';
const WINDOW_SECONDS = 3;

/**
 * stream.live / stream.idle from a real nginx-rtmp and ffmpeg publish: StreamLiveness
 * records them in the transactions that start and end a live period.
 */
describeWithTools('webhooks from a real RTMP publish (nginx-rtmp + ffmpeg)', ['nginx', RTMP_MODULE, 'ffmpeg'], () => {
  let t: TestApp;
  let owner: TestUser;
  let dir: string;
  let rtmpPort: number;
  let nginx: ChildProcess | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ listen: true, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', STREAM_SWEEP_INTERVAL_SECONDS: '1' } });
    owner = await createUser(t);
    await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: receiver.url }).expect(201);
    dir = await mkdtemp(join(tmpdir(), 'streamly-webhook-nginx-'));
    rtmpPort = await freePort();
    const hook = (call: string) => `${baseUrl(t.app)}/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(t.config.ingestSecret)}`;
    await writeFile(
      join(dir, 'nginx.conf'),
      `load_module ${RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 64; }
rtmp { server {
  listen 127.0.0.1:${rtmpPort};
  application live {
    live on; record off; notify_method post; notify_update_timeout 1s;
    on_publish ${hook('on_publish')};
    on_update ${hook('on_update')};
    on_publish_done ${hook('on_publish_done')};
  }
} }
`,
    );
    nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    await waitFor(
      async () => (await readFile(join(dir, 'nginx.pid'), 'utf8').catch(() => '')).trim() !== '',
      5000,
      100,
      'nginx did not start',
    );
  });
  afterAll(async () => {
    nginx?.kill('SIGKILL');
    await t?.close();
    await receiver.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** ffmpeg publishing a test pattern in real time for `seconds`; resolves when it exits. */
  function publish(key: string, seconds: number): Promise<number | null> {
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=15',
        '-t',
        String(seconds),
        '-f',
        'flv',
        `rtmp://127.0.0.1:${rtmpPort}/live/${key}`,
      ],
      { stdio: 'ignore' },
    );
    return new Promise((resolve) => child.once('exit', resolve));
  }

  it('one publish, a reconnect within the window: exactly one stream.live, then one stream.idle after the window', async () => {
    const stream = bodyOf<StreamBody>(
      await t.http().post('/api/v1/streams').set(owner.auth).send({ reconnectWindowSeconds: WINDOW_SECONDS }).expect(201),
    );
    const types = () => receiver.forStream(stream.id).map((r) => r.body.type);
    const first = publish(stream.streamKey, 3);
    await waitFor(() => Promise.resolve(types().includes('stream.live')), 5000);
    expect(await first).toBe(0);
    // The encoder comes back within the reconnect window: the same live period goes on.
    expect(await publish(stream.streamKey, 2)).toBe(0);
    const leftAt = Date.now();
    await waitFor(() => Promise.resolve(types().includes('stream.idle')), (WINDOW_SECONDS + 10) * 1000);
    const idle = receiver.forStream(stream.id).find((r) => r.body.type === 'stream.idle')!;
    expect(idle.at - leftAt).toBeGreaterThanOrEqual(WINDOW_SECONDS * 1000 - 500);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(types()).toEqual(['stream.created', 'stream.live', 'stream.idle']);
    expect(idle.body.data.stream).toMatchObject({ id: stream.id, status: 'active' });
    expect(idle.rawBody).not.toContain(stream.streamKey);
  }, 60_000);
});
