import { randomBytes } from 'node:crypto';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { startTestApp } from './helpers/app.js';
import { createDatabase, query } from './helpers/database.js';
import { spawnApi, waitForOk } from './helpers/process.js';

const secret = () => randomBytes(32).toString('hex');

describe('startup', () => {
  it('stops at once with exit code 1, naming each bad variable', async () => {
    const api = await spawnApi({ PORT: '3000', DB_POOL_MAX: 'lots', JWT_ACCESS_TTL_SECONDS: '-5', DATABASE_URL: 'http://nope' });
    expect(await api.exited).toBe(1);
    for (const name of ['DB_POOL_MAX', 'JWT_ACCESS_TTL_SECONDS', 'DATABASE_URL']) expect(api.output()).toContain(name);
  });

  it('refuses to start in production without DATABASE_URL, JWT_SECRET and INGEST_SECRET', async () => {
    const api = await spawnApi({ NODE_ENV: 'production' });
    expect(await api.exited).toBe(1);
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'INGEST_SECRET']) expect(api.output()).toContain(name);
  });

  it('exits non-zero with a clear message when the database never answers', async () => {
    const api = await spawnApi({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', JWT_SECRET: secret(), INGEST_SECRET: secret(), DB_CONNECT_TIMEOUT_MS: '200' });
    expect(await api.exited).toBe(1);
    expect(api.output()).toMatch(/Database 127.0.0.1:1\/none not reachable \(/);
    expect(api.output()).toMatch(/Startup failed: Database 127.0.0.1:1\/none not reachable after 6 attempts/);
  }, 90_000);

  it('serves, then on SIGTERM drains, closes and exits 0', async () => {
    const db = await createDatabase('proc');
    const api = await spawnApi({ DATABASE_URL: db.url, JWT_SECRET: secret(), INGEST_SECRET: secret() });
    try {
      await waitForOk(api, '/health/ready');
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    } finally {
      api.child.kill('SIGKILL');
      await db.drop();
    }
  });

  it('two instances starting together on one empty database both come up; the migrations ran once', async () => {
    const db = await createDatabase('race');
    const env = { DATABASE_URL: db.url };
    const apps = await Promise.all([startTestApp({ env }), startTestApp({ env }), startTestApp({ env })]);
    try {
      for (const app of apps) await app.http().get('/health/ready').expect(200);
      const { rows } = await query(db.url, 'SELECT name, count(*)::int AS n FROM migrations GROUP BY name ORDER BY name');
      expect(rows).toHaveLength(MIGRATIONS.length);
      expect(rows.every((row) => row.n === 1)).toBe(true);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await db.drop();
    }
  });
});
