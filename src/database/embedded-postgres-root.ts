import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { platform } from 'node:os';
import { promisify } from 'node:util';
import { EmbeddedPostgresError, type LaunchOptions } from './embedded-postgres-process.js';

// Running the embedded PostgreSQL when Node runs as root, without opening up any directory.

const USER = 'postgres';

export type Account = { uid: number; gid: number };

/**
 * How the server is to be launched on a data directory. As root, PostgreSQL runs
 * as `postgres`, who may not be able to walk the path to
 * ./.data (a project under a 0700 directory). The data stays there all the same:
 * root opens the data directory and hands the open descriptor to the server as
 * fd 3, and the server is told its data directory is /proc/self/fd/3. The kernel
 * resolves that link to the directory itself without walking its ancestors, so
 * no permission outside the project changes and ./.data keeps the only copy.
 * Every server process inherits fd 3; after startup the server works relative to
 * its data directory anyway. Linux only (/proc). (The programs: see
 * embedded-postgres-binaries.ts.) `shownAs` names the directory in messages.
 */
export async function asServer(account: Account | undefined, dataDir: string, extraFds: number[] = [], shownAs = dataDir) {
  if (!account) return { dataPath: dataDir, launch: {} as Partial<LaunchOptions>, done: () => Promise.resolve() };
  if (platform() !== 'linux')
    throw new EmbeddedPostgresError('running the embedded PostgreSQL as root is supported on Linux only: set DATABASE_URL');
  const directory = await open(dataDir, 'r');
  return {
    dataPath: '/proc/self/fd/3',
    launch: { uid: account.uid, gid: account.gid, fds: [directory.fd, ...extraFds], aliases: { '/proc/self/fd/3': shownAs } },
    done: () => directory.close(),
  };
}

/** PostgreSQL refuses to run as root; as root it runs as `postgres`, created if missing (as embedded-postgres did). */
export async function postgresAccount(): Promise<Account> {
  const run = promisify(execFile);
  const ids = async () => ({ uid: Number((await run('id', ['-u', USER])).stdout), gid: Number((await run('id', ['-g', USER])).stdout) });
  try {
    return await ids();
  } catch {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
      return await ids();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `PostgreSQL does not run as root and there is no \`${USER}\` user to run it as (useradd: ${(error as Error).message}); create one or set DATABASE_URL`,
      );
    }
  }
}
