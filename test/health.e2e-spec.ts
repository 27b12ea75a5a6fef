import { startTestApp, type TestApp } from './helpers/app.js';
import { bodyOf, type HealthBody } from './helpers/bodies.js';

// Outages (database stopped, frozen, pool exhausted) are in outage.e2e-spec.ts.
describe('health probes (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('/health pings the database and reports it up', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(bodyOf<HealthBody>(res).status).toBe('ok');
    expect(bodyOf<HealthBody>(res).info.database.status).toBe('up');
  });

  it('/health/live answers 200 without the database', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(bodyOf<HealthBody>(res).status).toBe('ok');
    expect(bodyOf<HealthBody>(res).info).toEqual({});
  });

  it('/health/ready is 200 while serving', async () => {
    const res = await t.http().get('/health/ready').expect(200);
    expect(bodyOf<HealthBody>(res).info.database.status).toBe('up');
  });

  it('probes are not under the /api/v1 prefix', async () => {
    await t.http().get('/api/v1/health').expect(404);
  });
});
