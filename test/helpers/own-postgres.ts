import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';

/** A PostgreSQL server of the test's own, to stop or freeze under a running app. */
export interface OwnPostgres extends EmbeddedDatabase {
  /** SIGSTOP (freeze) or SIGCONT (thaw) the postmaster and every backend: a hung server, sockets still open. */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'streamly-own-pg-')), 'pg');
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  return {
    ...server,
    async signalAll(signal) {
      const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
      for (const pid of [postmaster, ...children]) process.kill(pid, signal);
    },
  };
}
