import { startTestApp, type TestApp } from './helpers/app.js';

const sample = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('/metrics (Prometheus)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('after traffic: request durations by route template, method and status; pool gauges; process metrics; ingest decisions', async () => {
    for (let i = 0; i < 3; i++) await t.http().get('/health').expect(200);
    await t.http().get('/health/live').expect(200);
    await t.http().get('/api/v1/ingest/keys/Sup3rSecretStreamKey?secret=IngestSecretValue').expect(401);
    await t
      .http()
      .get('/api/v1/ingest/keys/Sup3rSecretStreamKey_unknown_to_us')
      .set('Authorization', `Bearer ${t.config.ingestSecret}`)
      .expect(404);
    await t.http().get('/no/such/route').expect(404);

    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.text;

    expect(sample(text, 'http_request_duration_seconds_count', 'method="GET",route="/health",status_code="200"')).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count', 'method="GET",route="/health/live",status_code="200"')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', 'method="GET",route="unmatched",status_code="404"')).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', 'method="GET",route="/api/v1/ingest/keys/:streamKey",status_code="404"'),
    ).toBe(1);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health",status_code="200"}');
    // Raw URLs never become labels: no key, no secret, no made-up path.
    expect(text).not.toMatch(/Sup3rSecretStreamKey|IngestSecretValue|no\/such\/route/);

    expect(sample(text, 'streamly_db_pool_connections', 'pool="primary"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'streamly_db_pool_idle_connections', 'pool="primary"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'streamly_db_pool_waiting_requests', 'pool="primary"')).toBe(0);

    expect(sample(text, 'streamly_ingest_decisions_total', 'adapter="keys",outcome="unauthorized"')).toBe(1);
    expect(sample(text, 'streamly_ingest_decisions_total', 'adapter="keys",outcome="unknown"')).toBe(1);

    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('lives at the root, not under /api/v1', async () => {
    await t.http().get('/api/v1/metrics').expect(404);
  });

  it('each app instance has its own registry (several apps in one process do not collide)', async () => {
    const second = await startTestApp();
    try {
      const text = (await second.http().get('/metrics').expect(200)).text;
      expect(sample(text, 'http_request_duration_seconds_count', 'method="GET",route="/health",status_code="200"')).toBeUndefined();
      expect(text).not.toContain('streamly_ingest_decisions_total{');
    } finally {
      await second.close();
    }
  });
});
