import { acceptsConnections } from './http.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/database/embedded-postgres.js';
import { postgresIds } from './pg-cluster.js';
import { findTool } from './tools.js';

export interface PgBouncer {
  port: number;
  /** A URL for `database` through PgBouncer (same user as the server URL, no password: PgBouncer trusts local clients). */
  url(database: string): string;
  /** PgBouncer's own `SHOW STATS` row for `database` (admin console). */
  stats(database: string): Promise<Record<string, string>>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling mode in front of `serverUrl`'s server, with a
 * config and port of its own. Any database name is passed through (`*`), so fresh
 * per-test databases work. Runs as `postgres` when we are root (PgBouncer refuses root).
 */
export async function startPgBouncer(
  serverUrl: string,
  options: { poolSize?: number; binary?: string; maxPreparedStatements?: number } = {},
): Promise<PgBouncer> {
  const binary = options.binary ?? findTool('pgbouncer');
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
      // 1.21+ only (older versions refuse to start with it).
      ...(options.maxPreparedStatements ? [`max_prepared_statements = ${options.maxPreparedStatements}`] : []),
      // The admin console (`SHOW STATS`) for the same user.
      `admin_users = ${user}`,
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
    stats: async (database) => {
      // The admin console speaks only the simple query protocol.
      const admin = new pg.Client({ connectionString: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer` });
      await admin.connect();
      try {
        const { rows } = await admin.query<Record<string, string>>('SHOW STATS');
        return rows.find((row) => row.database === database) ?? {};
      } finally {
        await admin.end();
      }
    },
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

/** Where .ci/run builds PgBouncer from Debian's source when the packaged one is older than 1.21. */
const BUILT_PGBOUNCER = '/opt/pgbouncer-1.24/bin/pgbouncer';

/**
 * A PgBouncer that keeps named prepared statements in transaction mode (1.21+,
 * `max_prepared_statements`): the packaged one when it is recent enough, else the one
 * .ci/run builds (Debian 12 packages 1.18). Undefined when there is none.
 */
export function preparedStatementsPgBouncer(): string | undefined {
  for (const binary of [findTool('pgbouncer'), BUILT_PGBOUNCER]) {
    if (!binary) continue;
    try {
      const [major, minor] = /PgBouncer (\d+)\.(\d+)/
        .exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))!
        .slice(1)
        .map(Number);
      if (major > 1 || (major === 1 && minor >= 21)) return binary;
    } catch {
      // not there, or not runnable
    }
  }
  return undefined;
}
