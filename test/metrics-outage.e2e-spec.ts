import { DatabaseCollector } from '../src/metrics/database-collector.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { timedFetch } from './helpers/http.js';
import { sample } from './helpers/monitoring.js';
import { createCluster, type PgCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';

const SCRAPE_LIMIT_MS = 1000;

describeWithTools('/metrics while PostgreSQL is stopped or frozen (throwaway cluster)', ['initdb', 'pg_ctl'], () => {
  let cluster: PgCluster;
  let t: TestApp;
  let collector: DatabaseCollector;

  beforeAll(async () => {
    cluster = await createCluster();
    await cluster.sql('CREATE DATABASE app');
    t = await startTestApp({
      listen: true,
      env: { DATABASE_URL: cluster.url('app'), DB_CONNECT_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '1500' },
    });
    collector = t.app.get(DatabaseCollector);
  }, 60_000);

  afterAll(async () => {
    await cluster?.thaw();
    await t?.close();
    await cluster?.destroy();
  }, 60_000);

  const scrape = async () => {
    const response = await timedFetch(`${baseUrl(t.app)}/metrics`);
    expect(response.status).toBe(200);
    expect(response.ms).toBeLessThan(SCRAPE_LIMIT_MS);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    return response;
  };
  const timedRefresh = async () => {
    const started = performance.now();
    await collector.refresh();
    return performance.now() - started;
  };

  const expectDatabaseUp = (text: string) => {
    expect(sample(text, 'streamly_db_collector_up', 'source="database"')).toBe(1);
    expect(sample(text, 'streamly_db_collector_up', 'source="platform"')).toBe(1);
    expect(sample(text, 'streamly_live_streams')).toBe(0);
  };
  /** Down: up 0, and no stale database numbers (absent, not zero). */
  const expectDatabaseDown = (text: string) => {
    expect(sample(text, 'streamly_db_collector_up', 'source="database"')).toBe(0);
    expect(sample(text, 'streamly_db_collector_up', 'source="platform"')).toBe(0);
    for (const name of ['streamly_live_streams', 'streamly_accounts', 'streamly_db_size_bytes']) expect(sample(text, name)).toBeUndefined();
    expect(text).not.toMatch(/^streamly_db_backends\{/m);
    // The pool gauges read memory only: still there.
    expect(sample(text, 'streamly_db_pool_connections', 'pool="primary"')).toBeGreaterThanOrEqual(0);
  };

  it('stopped: /metrics answers within 1 s with process metrics and collector_up 0; back to 1 once PostgreSQL is', async () => {
    await collector.refresh();
    expectDatabaseUp((await scrape()).text);

    await cluster.stop('fast');
    try {
      const refreshMs = await timedRefresh();
      const { text, ms } = await scrape();
      expectDatabaseDown(text);
      console.info(`[metrics outage] stopped: collection failed in ${Math.round(refreshMs)} ms, /metrics in ${Math.round(ms)} ms`);
    } finally {
      await cluster.start();
    }
    await collector.refresh();
    expectDatabaseUp((await scrape()).text);
  }, 60_000);

  it('frozen (SIGSTOP): /metrics answers within 1 s also during a hung collection, which gives up after its 1 s deadline', async () => {
    await collector.refresh();
    await cluster.freeze();
    try {
      const started = performance.now();
      const collecting = collector.refresh();
      // Scraped while the collector waits on the frozen server.
      const during = await scrape();
      await collecting;
      const refreshMs = performance.now() - started;
      expect(refreshMs).toBeLessThan(3000);
      expect(refreshMs).toBeGreaterThanOrEqual(900);
      const { text } = await scrape();
      expectDatabaseDown(text);
      console.info(
        `[metrics outage] frozen: /metrics in ${Math.round(during.ms)} ms during the collection, which failed after ${Math.round(refreshMs)} ms`,
      );
    } finally {
      await cluster.thaw();
    }
    // The connection whose query timed out was discarded: the next collection works.
    await collector.refresh();
    expectDatabaseUp((await scrape()).text);
  }, 60_000);
});
