import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { APP_SCHEMA } from '../src/app.schema.js';
import { startApiProcess } from './helpers/api-process.js';
import { startTestApp } from './helpers/app.js';
import { createDatabase, query } from './helpers/database.js';
import { timedFetch, waitFor } from './helpers/http.js';

// SIGTERM drain and an unreachable database at startup are in lifecycle.e2e-spec.ts.
describe('startup', () => {
  const failedStart = async (env: Record<string, string>) => {
    const api = await startApiProcess({ env, waitUntilListening: false });
    const { code } = await api.exited;
    return { code, output: api.output.join('\n') };
  };

  it('stops at once with exit code 1, naming each bad variable', async () => {
    const { code, output } = await failedStart({ DB_POOL_MAX: 'lots', JWT_ACCESS_TTL_SECONDS: '-5', DATABASE_URL: 'http://nope' });
    expect(code).toBe(1);
    for (const name of ['DB_POOL_MAX', 'JWT_ACCESS_TTL_SECONDS', 'DATABASE_URL']) expect(output).toContain(name);
  });

  it('refuses to start in production without DATABASE_URL, JWT_SECRET and INGEST_SECRET', async () => {
    const { code, output } = await failedStart({ NODE_ENV: 'production', JWT_SECRET: '', INGEST_SECRET: '' });
    expect(code).toBe(1);
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'INGEST_SECRET']) expect(output).toContain(name);
  });

  it('refuses to start in production with a placeholder, low-entropy or shared secret, naming each variable', async () => {
    const placeholder = 'change-me-to-at-least-32-random-bytes-xxxxxxxx';
    const { code, output } = await failedStart({
      NODE_ENV: 'production',
      BCRYPT_COST: '10',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
      JWT_SECRET: placeholder,
      INGEST_SECRET: placeholder,
    });
    expect(code).toBe(1);
    expect(output).toContain('JWT_SECRET is a placeholder');
    expect(output).toContain('INGEST_SECRET must differ from JWT_SECRET');
    expect(output).not.toContain(placeholder);
  });

  it('a second `npm start` on the same embedded data fails at once with exit 1 and says why', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamly-data-'));
    const first = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), persistent: true });
    try {
      const { code, output } = await failedStart({ DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(output).toContain(`the embedded PostgreSQL data in ${join(dataDir, 'postgres')} is in use by another process`);
    } finally {
      await first.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C while the embedded database is being created leaves no PostgreSQL process behind; the next start comes up', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamly-data-'));
    try {
      const first = await startApiProcess({ env: { DATA_DIR: dataDir }, waitUntilListening: false });
      await first.waitForLog((line) => String(line.msg).startsWith('DATABASE_URL is not set'));
      first.child.kill('SIGINT');
      expect((await first.exited).code).toBe(0);
      if (process.platform === 'linux')
        await waitFor(async () => (await processesUsing(dataDir)).length === 0, 5000, 100, 'initdb/postgres still running');

      const second = await startApiProcess({ env: { DATA_DIR: dataDir } });
      expect((await timedFetch(`${second.url}/health/ready`)).status).toBe(200);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('two instances starting together on one empty database both come up; the migrations ran once', async () => {
    const db = await createDatabase('race');
    const env = { DATABASE_URL: db.url };
    const apps = await Promise.all([startTestApp({ env }), startTestApp({ env }), startTestApp({ env })]);
    try {
      for (const app of apps) await app.http().get('/health/ready').expect(200);
      const { rows } = await query(db.url, 'SELECT name, count(*)::int AS n FROM migrations GROUP BY name ORDER BY name');
      expect(rows).toHaveLength(APP_SCHEMA.migrations.length + 1);
      expect(rows.every((row) => row.n === 1)).toBe(true);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await db.drop();
    }
  });
});

/** Processes whose working directory or an open file is below `dir` (Linux /proc). */
async function processesUsing(dir: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const using: number[] = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    const paths = await Promise.all(
      [`/proc/${pid}/cwd`, ...fds.map((fd) => `/proc/${pid}/fd/${fd}`)].map((link) => readlink(link).catch(() => '')),
    );
    if (paths.some((path) => path.startsWith(dir))) using.push(Number(pid));
  }
  return using;
}
