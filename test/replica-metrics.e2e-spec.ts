import { freePort } from '../src/database/embedded-postgres.js';
import { ReadReplica } from '../src/database/read-replica.service.js';
import { DatabaseCollector } from '../src/metrics/database-collector.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { sample } from './helpers/monitoring.js';
import { createCluster, type PgCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';

describeWithTools('replica lag and replica health in /metrics (pg_basebackup -R replica)', ['initdb', 'pg_ctl', 'pg_basebackup'], () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let t: TestApp;
  let live: string;
  let dead: string;

  const metrics = async () => {
    await t.app.get(DatabaseCollector).refresh();
    return (await t.http().get('/metrics').expect(200)).text;
  };
  const lag = async () => {
    const text = await metrics();
    return {
      seconds: sample(text, 'streamly_db_replica_lag_seconds', `replica="${live}"`),
      bytes: sample(text, 'streamly_db_replica_lag_bytes', `replica="${live}"`),
    };
  };
  const caughtUp = async () => {
    const { seconds, bytes } = await lag();
    return seconds === 0 && bytes === 0;
  };

  beforeAll(async () => {
    primary = await createCluster();
    await primary.sql('CREATE DATABASE app');
    replica = await createCluster({ replicaOf: primary });
    live = `127.0.0.1:${replica.port}`;
    const deadPort = await freePort();
    dead = `127.0.0.1:${deadPort}`;
    t = await startTestApp({
      env: {
        DATABASE_URL: primary.url('app'),
        // The second one is down at startup: left out of the reads, still listed in the metrics.
        DATABASE_REPLICA_URLS: `${replica.url('app')},postgres://postgres@${dead}/app`,
        DB_CONNECT_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '1500',
      },
    });
    await waitFor(async () => (await replica.sql("SELECT to_regclass('streams') IS NOT NULL", 'app')) === 't', 10_000);
  }, 90_000);

  afterAll(async () => {
    await t?.close();
    await replica?.destroy();
    await primary?.destroy();
  }, 60_000);

  it('replay lag in seconds and bytes: 0 when caught up, growing while replay is paused, 0 again after', async () => {
    await waitFor(caughtUp, 10_000, 200, 'the replica never reported zero lag');

    await replica.sql('SELECT pg_wal_replay_pause()');
    try {
      await primary.sql(`INSERT INTO users (username, email, password) VALUES ('lag_probe', 'lag@example.test', 'x')`, 'app');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const paused = await lag();
      expect(paused.bytes).toBeGreaterThan(0);
      expect(paused.seconds).toBeGreaterThanOrEqual(1);
      console.info(`[replica metrics] replay paused 1.2 s after a write: lag ${paused.seconds?.toFixed(2)} s, ${paused.bytes} bytes`);
    } finally {
      await replica.sql('SELECT pg_wal_replay_resume()');
    }
    await waitFor(caughtUp, 10_000, 200, 'the lag did not return to zero after replay resumed');
  }, 30_000);

  it('health as the app sees it: in use, left out at startup, skipped after a failure; a replica that is down has no lag series', async () => {
    const text = await metrics();
    expect(sample(text, 'streamly_db_replica_in_use', `replica="${live}"`)).toBe(1);
    expect(sample(text, 'streamly_db_replica_in_use', `replica="${dead}"`)).toBe(0);
    expect(sample(text, 'streamly_db_collector_up', `source="replica:${live}"`)).toBe(1);
    expect(sample(text, 'streamly_db_collector_up', `source="replica:${dead}"`)).toBe(0);
    expect(sample(text, 'streamly_db_replica_lag_seconds', `replica="${dead}"`)).toBeUndefined();

    await replica.stop();
    try {
      // A read that finds the replica down falls back to the primary and skips the replica for 5 s.
      expect(await t.app.get(ReadReplica).query<{ r: boolean }>('other', 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
      const down = await metrics();
      expect(sample(down, 'streamly_db_replica_in_use', `replica="${live}"`)).toBe(0);
      expect(sample(down, 'streamly_db_collector_up', `source="replica:${live}"`)).toBe(0);
      expect(sample(down, 'streamly_db_replica_lag_seconds', `replica="${live}"`)).toBeUndefined();
    } finally {
      await replica.start();
    }
    await waitFor(async () => sample(await metrics(), 'streamly_db_replica_in_use', `replica="${live}"`) === 1, 10_000, 250);
  }, 30_000);
});
