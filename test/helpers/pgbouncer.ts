import { acceptsConnections } from './http.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';
import { postgresIds } from './pg-cluster.js';
import { findTool } from './tools.js';

export interface PgBouncer {
  port: number;
  /** A URL for `database` through PgBouncer (same user as the server URL, no password: PgBouncer trusts local clients). */
  url(database: string): string;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling mode in front of `serverUrl`'s server, with a
 * config and port of its own. Any database name is passed through (`*`), so fresh
 * per-test databases work. Runs as `postgres` when we are root (PgBouncer refuses root).
 */
export async function startPgBouncer(serverUrl: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  const binary = findTool('pgbouncer');
  if (!binary) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const dir = await mkdtemp(join(tmpdir(), 'streamly-pgbouncer-'));
  const port = await freePort();
  const serverConn = [
    `host=${server.hostname}`,
    `port=${server.port || 5432}`,
    `user=${user}`,
    ...(password ? [`password=${password}`] : []),
  ].join(' ');
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = ${serverConn}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 5}`,
      'max_client_conn = 500',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  const ids = postgresIds();
  if (ids.uid !== undefined) {
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) await chown(join(dir, file), ids.uid, ids.gid!);
    await chmod(dir, 0o700);
  }

  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], { ...ids, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
  const started = Date.now();
  while (!(await acceptsConnections(port))) {
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      throw new Error(`pgbouncer did not start: ${await log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: (database) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGINT'); // immediate shutdown
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
