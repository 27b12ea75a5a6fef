import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/database/embedded-postgres.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { describeWithTools, findTool } from './helpers/tools.js';
import { aStream, aUser, type BuiltUser } from './helpers/builders.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';

/**
 * A real nginx-rtmp in front of the app: nginx calls our hooks, ffmpeg publishes
 * a test pattern. Installs nothing: runs when nginx with Debian's
 * libnginx-mod-rtmp and ffmpeg are on this machine (`.ci/run` installs them).
 */
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

// Debian puts nginx in /usr/sbin, which is not on a regular user's PATH.
const NGINX = findTool('nginx') ?? 'nginx';

describeWithTools('nginx-rtmp with a real RTMP publisher', ['nginx', RTMP_MODULE, 'ffmpeg'], () => {
  let t: TestApp;
  let owner: BuiltUser;
  let dir: string;
  let rtmpPort: number;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    owner = await aUser(t);
    dir = await mkdtemp(join(tmpdir(), 'streamly-nginx-'));
    rtmpPort = await freePort();
    const hook = (call: string) => `${baseUrl(t.app)}/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(t.config.ingestSecret)}`;
    await writeFile(
      join(dir, 'nginx.conf'),
      `
load_module ${RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
# notice, not info: nginx logs every hook URL, secret included, at info.
error_log ${dir}/error.log notice;
events { worker_connections 64; }
rtmp {
server {
  listen 127.0.0.1:${rtmpPort};
  application live {
    live on;
    record off;
    on_publish ${hook('on_publish')};
    on_update ${hook('on_update')};
    on_publish_done ${hook('on_publish_done')};
    notify_method post;
    notify_update_timeout 1s;
  }
}
}
`,
    );
    track(spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await waitFor(
      async () => (await readFile(join(dir, 'nginx.pid'), 'utf8').catch(() => '')).trim() !== '',
      5000,
      100,
      'nginx did not start',
    );
  });

  afterAll(async () => {
    for (const child of children) await stop(child);
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function track(child: ChildProcess): ChildProcess {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }

  /** ffmpeg publishing a lavfi test pattern in real time; resolves with its exit code and the time it ran. */
  function publish(key: string, seconds: number) {
    const started = Date.now();
    const child = track(
      spawn(
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
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; ms: number; stderr: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, ms: Date.now() - started, stderr })),
    );
    return { child, exited };
  }

  // No reconnect window: active as soon as ffmpeg stops (the window has its own suite, nginx-live).
  const newStream = () => aStream(t, owner, { reconnectWindowSeconds: 0 });
  const statusOf = async (id: number) => bodyOf<StreamBody>(await t.http().get(`/api/v1/streams/${id}`).set(owner.auth).expect(200)).status;
  const waitForStatus = (id: number, status: string, ms: number) =>
    waitFor(async () => (await statusOf(id)) === status, ms, 100, `stream did not become ${status} within ${ms} ms`);

  it('a valid key publishes: the stream is live while ffmpeg streams, active after', async () => {
    const stream = await newStream();
    const { exited } = publish(stream.streamKey, 4);
    await waitForStatus(stream.id, 'live', 4000);
    const result = await exited;
    expect(result).toMatchObject({ code: 0 });
    await waitForStatus(stream.id, 'active', 4000);
  });

  it('an unknown key is refused: ffmpeg fails at once', async () => {
    const { exited } = publish('unknownKeyThatIsLongEnough_123456789', 10);
    const result = await exited;
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(5000);
  });

  it('a key rotated mid-stream is cut off by on_update within a few seconds', async () => {
    const stream = await newStream();
    const { exited } = publish(stream.streamKey, 30);
    await waitForStatus(stream.id, 'live', 4000);
    const rotatedAt = Date.now();
    await t.http().post(`/api/v1/streams/${stream.id}/key`).set(owner.auth).expect(200);
    const result = await exited;
    const cutOffMs = Date.now() - rotatedAt;
    expect(cutOffMs).toBeLessThan(5000);
    expect(result.ms).toBeLessThan(20_000);
    await waitForStatus(stream.id, 'active', 4000);
  });

  it('nginx logged no hook URL with the secret (error_log at notice)', async () => {
    const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    expect(log).not.toContain(t.config.ingestSecret);
  });
});

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}
