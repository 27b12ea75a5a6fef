import { expect } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError, runToCompletion } from '../src/database/embedded-postgres-process.js';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { timedFetch } from './helpers/http.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/**
 * The project as `git clone` + `npm ci` leave it, below a directory only root may
 * enter (`mktemp -d`, /root): node_modules and ./.data out of the `postgres` user's reach.
 */
async function privateProject() {
  const dir = await mkdtemp(join(tmpdir(), 'streamly-private-'));
  const app = join(dir, 'app');
  await mkdir(app);
  await copyFile('package.json', join(app, 'package.json'));
  await cp('dist', join(app, 'dist'), { recursive: true });
  // Hard links are instant; a real copy where the file system does not allow them. (Not a
  // symlink: Node would resolve the packages, and PostgreSQL's programs, to the original path.)
  const modules = await realpath('node_modules');
  await run('cp', ['-al', modules, join(app, 'node_modules')]).catch(async () => {
    await rm(join(app, 'node_modules'), { recursive: true, force: true });
    await run('cp', ['-a', modules, join(app, 'node_modules')]);
  });
  return { dir, app };
}

/** What a user sees when the embedded server cannot start: exit 1 and exactly one error line, no stack. */
async function failedStart(app: string, env: Record<string, string>) {
  const api = await startApiProcess({ cwd: app, env, waitUntilListening: false });
  const { code } = await api.exited;
  const errors = api.logs().filter((line) => line.level === 'error');
  const raw = api.output.filter((line) => !line.startsWith('{'));
  return { code, errors, raw };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

(isRoot ? describe : describe.skip)('as root, in a fresh project below a 0700 directory (no DATABASE_URL)', () => {
  let project: { dir: string; app: string };
  let api: ApiProcess | undefined;
  beforeAll(async () => {
    project = await privateProject();
  }, 120_000);
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });
  afterAll(async () => {
    await rm(project.dir, { recursive: true, force: true });
  });

  it('`npm start` comes up on the embedded PostgreSQL with its data in ./.data, keeps it across a restart, exits 0 on SIGTERM; no mode outside the project changes', async () => {
    expect(await mode(project.dir)).toBe(0o700);
    expect(await realpath(join(project.app, 'node_modules'))).toBe(join(project.app, 'node_modules'));
    api = await startApiProcess({ cwd: project.app, env: {} });
    expect((await timedFetch(`${api.url}/health/ready`)).status).toBe(200);
    const signUp = await timedFetch(`${api.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root_newcomer', email: 'newcomer@example.com', password: 'correct horse battery' }),
    });
    expect(signUp.status).toBe(201);
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });

    // The cluster is in ./.data; nothing was opened up to reach it.
    await stat(join(project.app, '.data', 'postgres', 'PG_VERSION'));
    expect(await mode(project.dir)).toBe(0o700);

    api = await startApiProcess({ cwd: project.app, env: {} });
    expect((await timedFetch(`${api.url}/api/v1/users/root_newcomer`)).status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(api.logs().filter((line) => line.level === 'error')).toEqual([]);
  });

  it('a data directory PostgreSQL refuses: one error line naming it, exit 1, no stack trace', async () => {
    const dataDir = join(project.app, '.data-broken');
    await mkdir(join(dataDir, 'postgres'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'postgres', 'PG_VERSION'), '9\n');
    const { code, errors, raw } = await failedStart(project.app, { DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    const message = String(errors[0].msg);
    expect(message).toContain(`Startup failed: embedded PostgreSQL (data in ${join(dataDir, 'postgres')}) exited during start (exit `);
    expect(message).toContain('set DATABASE_URL');
    expect(message).not.toContain('\n');
    expect(raw).toEqual([]); // no "Emitted 'error' event", no stack
  });

  it('a data directory that is neither empty nor a cluster: one error line saying so, exit 1', async () => {
    const dataDir = join(project.app, '.data-stray');
    await mkdir(join(dataDir, 'postgres'), { recursive: true });
    await writeFile(join(dataDir, 'postgres', 'stray-file'), 'left over\n');
    const { code, errors, raw } = await failedStart(project.app, { DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    expect(String(errors[0].msg)).toContain(`${join(dataDir, 'postgres')} exists but is not empty and holds no PostgreSQL cluster`);
    expect(raw).toEqual([]);
  });
});

describe('embedded PostgreSQL failures, as any user', () => {
  it('PostgreSQL dying under the running API: one error line saying so, exit 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamly-data-'));
    try {
      const api = await startApiProcess({ env: { DATA_DIR: dataDir } });
      const postmaster = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');
      expect((await api.exited).code).toBe(1);
      const errors = api.logs().filter((line) => line.level === 'error');
      expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(/^embedded PostgreSQL \(data in .+\) exited \(SIGKILL\)/)]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a program that cannot be executed (EACCES, ENOENT) is a one-line error, not an unhandled error event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'streamly-noexec-'));
    try {
      const notExecutable = join(dir, 'initdb');
      await writeFile(notExecutable, '#!/bin/sh\n');
      await chmod(notExecutable, 0o644);
      for (const [binary, code] of [
        [notExecutable, 'EACCES'],
        [join(dir, 'missing'), 'ENOENT'],
      ]) {
        const attempt = runToCompletion(binary, ['--version'], { log: () => undefined });
        await expect(attempt).rejects.toThrow(EmbeddedPostgresError);
        await expect(attempt).rejects.toThrow(`could not run ${binary}: ${code}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
