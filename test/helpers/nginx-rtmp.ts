import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';
import { waitFor } from './http.js';
import { findTool } from './tools.js';

/** Debian's libnginx-mod-rtmp. */
export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
/** Debian puts nginx in /usr/sbin, which is not on a regular user's PATH. */
export const NGINX = findTool('nginx') ?? 'nginx';

export interface Publisher {
  child: ChildProcess;
  /** Resolves when ffmpeg exits: its code, how long it ran, its error output. */
  exited: Promise<{ code: number | null; ms: number; stderr: string }>;
  running(): boolean;
}

export interface NginxRtmp {
  port: number;
  /** ffmpeg publishing a small lavfi test pattern in real time to rtmp://…/<application>/<key>. */
  publish(key: string, seconds: number, application?: string): Publisher;
  log(): Promise<string>;
  /** Stops ffmpeg publishers and nginx; removes its directory. */
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Base URLs of the API instances. More than one: nginx's own http proxy spreads the hook calls round-robin over them. */
  apis: string[];
  secret: string;
  /** rtmp application name → notify_update_timeout. */
  applications: Record<string, string>;
}

/** A real nginx with the RTMP module, loopback only, its hooks pointing at the API (through a round-robin proxy for several). */
export async function startNginxRtmp(options: NginxOptions): Promise<NginxRtmp> {
  const dir = await mkdtemp(join(tmpdir(), 'streamly-nginx-'));
  const port = await freePort();
  const proxyPort = options.apis.length > 1 ? await freePort() : undefined;
  const base = proxyPort ? `http://127.0.0.1:${proxyPort}` : options.apis[0];
  const hook = (call: string) => `${base}/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(options.secret)}`;
  const applications = Object.entries(options.applications)
    .map(
      ([name, timeout]) => `
  application ${name} {
    live on;
    record off;
    on_publish ${hook('on_publish')};
    on_update ${hook('on_update')};
    on_publish_done ${hook('on_publish_done')};
    notify_method post;
    notify_update_timeout ${timeout};
  }`,
    )
    .join('\n');
  const http = proxyPort
    ? `
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream api { ${options.apis.map((url) => `server ${new URL(url).host};`).join(' ')} }
  server {
    listen 127.0.0.1:${proxyPort};
    location / { proxy_pass http://api; proxy_next_upstream off; }
  }
}`
    : '';
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
events { worker_connections 256; }
rtmp {
server {
  listen 127.0.0.1:${port};
${applications}
}
}
${http}
`,
  );
  const children = new Set<ChildProcess>();
  const track = (child: ChildProcess) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const nginx = track(
    spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  await waitFor(
    async () => (await readFile(join(dir, 'nginx.pid'), 'utf8').catch(() => '')).trim() !== '',
    5000,
    100,
    'nginx did not start',
  );

  return {
    port,
    publish(key, seconds, application = Object.keys(options.applications)[0]) {
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
            'testsrc=size=160x120:rate=10',
            '-t',
            String(seconds),
            '-f',
            'flv',
            `rtmp://127.0.0.1:${port}/${application}/${key}`,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        ),
      );
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<{ code: number | null; ms: number; stderr: string }>((resolve) =>
        child.once('exit', (code) => resolve({ code, ms: Date.now() - started, stderr })),
      );
      return { child, exited, running: () => child.exitCode === null && child.signalCode === null };
    },
    log: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
    stop: async () => {
      for (const child of [...children].filter((c) => c !== nginx)) await stopProcess(child);
      await stopProcess(nginx);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}
