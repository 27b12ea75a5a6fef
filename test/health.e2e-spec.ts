import { startOwnPostgres, type OwnPostgres } from './helpers/own-postgres.js';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('health probes (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('/health pings the database and reports it up', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
  });

  it('/health/live answers 200 without the database', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info).toEqual({});
  });

  it('/health/ready is 200 while serving', async () => {
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body.info.database.status).toBe('up');
  });

  it('probes are not under the /api/v1 prefix', async () => {
    await t.http().get('/api/v1/health').expect(404);
  });
});

describe('health probes when the database goes away', () => {
  let pg: OwnPostgres;
  let t: TestApp;
  beforeAll(async () => {
    pg = await startOwnPostgres();
    t = await startTestApp({ env: { DATABASE_URL: pg.url } });
  });
  afterAll(async () => {
    await pg.signalAll('SIGCONT').catch(() => undefined);
    await t.app.close();
    await pg.stop();
  });

  const timed = async (path: string) => {
    const started = Date.now();
    const res = await t.http().get(path);
    return { status: res.status, body: res.body, ms: Date.now() - started };
  };

  it('answers 503 within 2 s while the server is frozen, and live stays 200', async () => {
    await pg.signalAll('SIGSTOP');
    try {
      for (const path of ['/health', '/health/ready']) {
        const res = await timed(path);
        expect(res.status).toBe(503);
        expect(res.ms).toBeLessThan(2000);
        expect(res.body.status).toBe('error');
        expect(res.body.error.database.status).toBe('down');
      }
      const live = await timed('/health/live');
      expect(live.status).toBe(200);
      expect(live.ms).toBeLessThan(2000);
    } finally {
      await pg.signalAll('SIGCONT');
    }
  });

  it('answers 503 within 2 s once the server is stopped (connection refused)', async () => {
    await pg.stop();
    // Let the cached result of the previous probe expire.
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (const path of ['/health', '/health/ready']) {
      const res = await timed(path);
      expect(res.status).toBe(503);
      expect(res.ms).toBeLessThan(2000);
    }
    expect((await timed('/health/live')).status).toBe(200);
  });
});
