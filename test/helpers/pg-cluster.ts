import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';

/** Debian's PostgreSQL 15 server binaries (initdb, pg_ctl, pg_basebackup). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A throwaway PostgreSQL cluster owned by one test, which it may stop, freeze
 * (SIGSTOP: a hung server whose sockets stay open) and restart under a running app.
 * Runs as the `postgres` user when the tests run as root (PostgreSQL refuses root).
 */
export interface PgCluster {
  port: number;
  dataDir: string;
  url(database?: string): string;
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** SIGSTOP the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  sql(statement: string, database?: string): Promise<string>;
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** Make this cluster a streaming replica of `primary` (pg_basebackup -R). */
  replicaOf?: PgCluster;
  settings?: Record<string, string>;
}

export async function createCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  const base = await mkdtemp(join(tmpdir(), 'streamly-pg-'));
  await chmod(base, 0o755);
  await ownByPostgres(base);
  const dataDir = join(base, 'data');
  const logFile = join(base, 'server.log');
  const port = await freePort();

  if (options.replicaOf) {
    await run('pg_basebackup', [
      '-D',
      dataDir,
      '-h',
      '127.0.0.1',
      '-p',
      String(options.replicaOf.port),
      '-U',
      'postgres',
      '-R',
      '-X',
      'stream',
      '--no-sync',
      '--checkpoint=fast',
    ]);
  } else {
    await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions']);
  }
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${base}'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '100',
    wal_level: 'replica',
    max_wal_senders: '5',
    hot_standby: 'on',
    ...options.settings,
  };
  // postgresql.auto.conf is read last: a replica copied the primary's port and must override it.
  const lines = Object.entries(settings)
    .map(([name, value]) => `${name} = ${value}`)
    .join('\n');
  await appendFile(join(dataDir, 'postgresql.auto.conf'), `\n${lines}\n`);

  const frozen = new Set<number>();
  const cluster: PgCluster = {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
    },
    stop: async (mode = 'fast') => {
      await cluster.thaw();
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    freeze: async () => {
      const postmaster = await postmasterPid(dataDir);
      // Postmaster first, so it forks no new backend while the others are stopped.
      for (const pid of [postmaster, ...childPids(postmaster)]) {
        process.kill(pid, 'SIGSTOP');
        frozen.add(pid);
      }
    },
    thaw: () => {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      frozen.clear();
      return Promise.resolve();
    },
    sql: async (statement, database = 'postgres') =>
      (await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-XAtqc', statement])).trim(),
    destroy: async () => {
      await cluster.thaw();
      if (existsSync(join(dataDir, 'postmaster.pid')))
        await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(base, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

/** Runs a PostgreSQL binary, as `postgres` when we are root. Rejects with its output on failure. */
function run(binary: string, args: string[]): Promise<string> {
  const command = join(PG_BIN, binary);
  const ids = postgresIds();
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...ids, cwd: tmpdir(), env: { ...process.env, PGCONNECT_TIMEOUT: '5' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

let cachedIds: { uid?: number; gid?: number } | undefined;
/** uid/gid of `postgres` when we run as root (PostgreSQL and PgBouncer refuse root), else nothing. */
export function postgresIds(): { uid?: number; gid?: number } {
  if (cachedIds) return cachedIds;
  if (process.getuid?.() !== 0) return (cachedIds = {});
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return (cachedIds = { uid, gid });
}

async function ownByPostgres(path: string): Promise<void> {
  const { uid, gid } = postgresIds();
  if (uid !== undefined && gid !== undefined) await chown(path, uid, gid);
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

function childPids(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent)])
      .toString()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}
