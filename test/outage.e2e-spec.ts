import { Controller, Get } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { timedFetch, waitFor } from './helpers/http.js';
import { createCluster, type PgCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';

/**
 * A route that needs the database, standing in for any REST route (test-only: src has
 * no debug routes). It reports the server process serving its connection.
 */
@Controller('outage-check')
class DatabaseCheckController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  async read(): Promise<{ backendPid: number; users: number }> {
    const [row] = await this.dataSource.query<{ backendPid: number; users: number }[]>(
      'SELECT pg_backend_pid() AS "backendPid", count(*)::int AS users FROM users',
    );
    return row;
  }
}

const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1500;
/** pg's client-side query_timeout is the statement timeout + 1 s (database.options.ts). */
const CLIENT_QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 1000;
const PROBE_LIMIT_MS = 2000;
/** /health shares one ping result for 500 ms (health.controller.ts): wait that out after a change. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

describeWithTools('database outages (throwaway PostgreSQL stopped, frozen and restarted under the app)', ['initdb', 'pg_ctl'], () => {
  let cluster: PgCluster;
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    cluster = await createCluster();
    await cluster.sql('CREATE DATABASE app');
    t = await startTestApp({
      listen: true,
      controllers: [DatabaseCheckController],
      env: {
        DATABASE_URL: cluster.url('app'),
        DB_POOL_MAX: '3',
        DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      },
    });
    url = baseUrl(t.app);
  }, 60_000);

  afterAll(async () => {
    await cluster?.thaw();
    await t?.close();
    await cluster?.destroy();
  }, 60_000);

  const probes = async () => {
    const [health, ready, live] = await Promise.all([
      timedFetch(`${url}/health`),
      timedFetch(`${url}/health/ready`),
      timedFetch(`${url}/health/live`),
    ]);
    return { health, ready, live };
  };

  const expectDatabaseDownProbes = async () => {
    const { health, ready, live } = await probes();
    expect([health.status, ready.status, live.status]).toEqual([503, 503, 200]);
    for (const probe of [health, ready, live]) expect(probe.ms).toBeLessThan(PROBE_LIMIT_MS);
    expect(health.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    expect(health.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|Connection terminated|at .*\.js/);
    return { health, ready, live };
  };

  /** Requests and readiness succeed again (readiness may repeat the last ping result for 500 ms). */
  const recovered = async () =>
    (await timedFetch(`${url}/api/v1/outage-check`)).status === 200 && (await timedFetch(`${url}/health/ready`)).status === 200;

  const expectUnavailable = (response: Awaited<ReturnType<typeof timedFetch>>) => {
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ statusCode: 503, message: 'database unavailable, try again shortly', error: 'Service Unavailable' });
  };

  it('serves while PostgreSQL is up', async () => {
    const { health, ready, live } = await probes();
    expect([health.status, ready.status, live.status]).toEqual([200, 200, 200]);
    const check = await timedFetch(`${url}/api/v1/outage-check`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ users: 0 });
  });

  it('PostgreSQL stopped: probes answer within 2 s, database requests get 503 at once, then it recovers by itself', async () => {
    await cluster.stop('fast');
    await settle();

    await expectDatabaseDownProbes();
    const check = await timedFetch(`${url}/api/v1/outage-check`);
    expectUnavailable(check);
    expect(check.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 500); // refused: no need to wait for a timeout
    expect(check.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*\.js/);

    await cluster.start();
    const recoveredInMs = await waitFor(recovered, 10_000);
    console.info(`[outage] stopped: recovered ${Math.round(recoveredInMs)} ms after PostgreSQL was back`);
  }, 60_000);

  it('PostgreSQL frozen (SIGSTOP): probes answer within 2 s, also with the pool exhausted; requests get 503 within the timeouts; recovery after thaw', async () => {
    await cluster.freeze();
    try {
      // Hold every pool connection with requests that hang on the frozen server.
      const held = Array.from({ length: 5 }, () => timedFetch(`${url}/api/v1/outage-check`));
      await settle();

      const { health, live } = await expectDatabaseDownProbes();
      console.info(`[outage] frozen + pool exhausted: /health ${Math.round(health.ms)} ms, /health/live ${Math.round(live.ms)} ms`);

      const results = await Promise.all(held);
      for (const result of results) {
        expectUnavailable(result);
        // Either the query timed out on the client, or the request waited for a pool slot and then for a connection.
        expect(result.ms).toBeLessThan(CLIENT_QUERY_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1000);
      }
      console.info(`[outage] frozen: 503s after ${results.map((r) => Math.round(r.ms)).join(', ')} ms`);
    } finally {
      await cluster.thaw();
    }
    const recoveredInMs = await waitFor(recovered, 10_000);
    console.info(`[outage] frozen: recovered ${Math.round(recoveredInMs)} ms after thaw`);
  }, 60_000);

  it('a connection whose query timed out on the client is discarded, not reused (one hung backend does not poison the pool)', async () => {
    // With the whole pool on one connection, reuse of a dead connection would fail every later request.
    const single = await startTestApp({
      listen: true,
      controllers: [DatabaseCheckController],
      env: {
        DATABASE_URL: cluster.url('app'),
        DB_POOL_MAX: '1',
        MIGRATIONS_RUN: 'false',
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      },
    });
    const singleUrl = baseUrl(single.app);
    let hungPid: number | undefined;
    try {
      const first = await timedFetch(`${singleUrl}/api/v1/outage-check`);
      expect(first.status).toBe(200);
      hungPid = (first.body as { backendPid: number }).backendPid;
      // Freeze only the backend behind the pooled connection: like a dead network path to it.
      process.kill(hungPid, 'SIGSTOP');

      const timedOut = await timedFetch(`${singleUrl}/api/v1/outage-check`);
      expectUnavailable(timedOut);
      expect(timedOut.ms).toBeGreaterThanOrEqual(CLIENT_QUERY_TIMEOUT_MS - 100);
      expect(timedOut.ms).toBeLessThan(CLIENT_QUERY_TIMEOUT_MS + 1000);

      const next = await timedFetch(`${singleUrl}/api/v1/outage-check`);
      expect(next.status).toBe(200);
      expect((next.body as { backendPid: number }).backendPid).not.toBe(hungPid);
      expect(next.ms).toBeLessThan(1000);
    } finally {
      if (hungPid) process.kill(hungPid, 'SIGCONT');
      await single.close();
    }
  }, 60_000);
});
