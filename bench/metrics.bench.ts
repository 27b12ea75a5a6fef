import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { APP_SCHEMA } from '../src/app.schema.js';
import { databaseOptions } from '../src/database/database.options.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { runMigrationsLocked } from '../src/database/migrate.js';
import { DATABASE_STATS_SQL } from '../src/metrics/database-stats.query.js';
import { PLATFORM_COUNTS_SQL } from '../src/metrics/platform-counts.query.js';

/**
 * `npm run bench:metrics`: what the database collector costs per round (every 15 s per
 * instance) and how long a scrape of /metrics takes, at BENCH_STREAMS streams (default
 * 10^5; 1 % live with an open session, 10 % expired, 5 % disabled), BENCH_USERS users
 * (default 10^4) and as many ended publish sessions as streams.
 *
 * Environment: DATABASE_URL (a server to create a scratch database on; default an
 * embedded PostgreSQL 15).
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100_000);
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const QUERY_RUNS = 50;
const SCRAPES = 300;
const log = (line: string) => process.stdout.write(`${line}\n`);
const children = new Set<ChildProcess>();

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'streamly-bench-metrics-'));
  let embedded: EmbeddedDatabase | undefined;
  let admin: pg.Client | undefined;
  let dbName: string | undefined;
  try {
    embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), persistent: false });
    const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
    admin = new pg.Client({ connectionString: serverUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    dbName = `bench_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${dbName}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    const databaseUrl = url.toString();
    await runMigrationsLocked(
      databaseOptions({ databaseUrl, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 600_000 }, APP_SCHEMA),
    );

    const db = new pg.Client({ connectionString: databaseUrl });
    db.on('error', () => undefined);
    await db.connect();
    const seeded = performance.now();
    await seed(db);
    log(
      `# metrics collector benchmark (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
    log(
      `(seeded ${STREAMS} streams, ${USERS} users, ${STREAMS} ended + ${Math.round(STREAMS / 100)} open sessions in ${((performance.now() - seeded) / 1000).toFixed(1)} s)`,
    );

    const tables = ['users', 'streams', 'publish_sessions', 'refresh_tokens', 'rate_limits', 'migrations'];
    const stats = await timeQuery(db, DATABASE_STATS_SQL, [tables]);
    const counts = await timeQuery(db, PLATFORM_COUNTS_SQL, []);
    log(`\n## Collector queries, client-timed over one connection (${QUERY_RUNS} runs each)`);
    log('| query | p50 ms | p99 ms | max ms |');
    log('|---|---|---|---|');
    log(
      `| database stats (pg_stat_activity, sizes, WAL position) | ${stats.p50.toFixed(2)} | ${stats.p99.toFixed(2)} | ${stats.max.toFixed(2)} |`,
    );
    log(
      `| platform counts (streams by status, open sessions, accounts) | ${counts.p50.toFixed(2)} | ${counts.p99.toFixed(2)} | ${counts.max.toFixed(2)} |`,
    );
    const plan = (
      await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${PLATFORM_COUNTS_SQL}`)
    ).rows.map((r) => r['QUERY PLAN']);
    log(`\nplan of the platform counts:\n    ${plan.join('\n    ')}`);
    await db.end();

    const port = await freePort();
    start(['dist/src/main.js'], {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: randomBytes(32).toString('hex'),
      INGEST_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      MIGRATIONS_RUN: 'false',
      SHUTDOWN_DRAIN_MS: '0',
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const deadline = Date.now() + 30_000;
    // Up, and the first collection done.
    while (
      !(
        await fetch(metricsUrl)
          .then((r) => r.text())
          .catch(() => '')
      ).includes('streamly_db_collector_up{source="platform"} 1')
    ) {
      if (Date.now() > deadline) throw new Error('the app did not report a collection within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const scrapes: number[] = [];
    let text = '';
    for (let i = 0; i < SCRAPES + 20; i++) {
      const started = performance.now();
      text = await (await fetch(metricsUrl)).text();
      if (i >= 20) scrapes.push(performance.now() - started);
    }
    const scrape = percentiles(scrapes);
    const reported = (source: string) =>
      Number(new RegExp(`^streamly_db_collector_duration_seconds\\{source="${source}"\\} (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
    log(`\n## The app (NODE_ENV=production) at ${STREAMS} streams`);
    log(
      `GET /metrics, one at a time, ${SCRAPES} scrapes: p50 ${scrape.p50.toFixed(2)} ms, p99 ${scrape.p99.toFixed(2)} ms, max ${scrape.max.toFixed(2)} ms, ${Buffer.byteLength(text)} bytes`,
    );
    log(
      `collector round as the app reports it (streamly_db_collector_duration_seconds): database ${reported('database').toFixed(1)} ms, platform ${reported('platform').toFixed(1)} ms`,
    );
    log(
      `live streams reported: ${/^streamly_live_streams (\S+)$/m.exec(text)?.[1]}, accounts: ${/^streamly_accounts (\S+)$/m.exec(text)?.[1]}`,
    );
  } finally {
    for (const child of children) {
      const gone = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await gone;
    }
    if (admin && dbName) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Users, streams in every status, and a publish history: one ended session per stream, one open one per live stream. */
async function seed(db: pg.Client): Promise<void> {
  await db.query(
    `INSERT INTO users (username, email, password) SELECT 'bench_' || i, 'bench_' || i || '@example.test', 'x' FROM generate_series(1, $1::int) i`,
    [USERS],
  );
  await db.query(
    `WITH u AS (SELECT array_agg(id) AS ids FROM users)
     INSERT INTO streams (user_id, stream_key, status, expires_at)
     SELECT u.ids[1 + i % array_length(u.ids, 1)], md5($2 || i::text) || md5(i::text),
            CASE WHEN i % 100 = 0 THEN 'live' WHEN i % 20 = 1 THEN 'disabled' ELSE 'active' END,
            CASE WHEN i % 10 = 3 THEN now() - interval '1 day' ELSE now() + interval '30 days' END
     FROM u, generate_series(1, $1::int) i`,
    [STREAMS, randomBytes(4).toString('hex')],
  );
  await db.query(
    `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, started_at, last_seen_at, ended_at)
     SELECT id, 'nginx', 'c' || row_number() OVER (), '10.0.0.1', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days' FROM streams`,
  );
  await db.query(
    `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr)
     SELECT id, 'nginx', 'open' || row_number() OVER (), '10.0.0.2' FROM streams WHERE status = 'live'`,
  );
  await db.query('VACUUM ANALYZE');
}

async function timeQuery(db: pg.Client, sql: string, params: unknown[]): Promise<{ p50: number; p99: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < QUERY_RUNS + 5; i++) {
    const started = performance.now();
    await db.query(sql, params);
    if (i >= 5) times.push(performance.now() - started);
  }
  return percentiles(times);
}

function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)], p99: sorted[Math.floor(sorted.length * 0.99)], max: sorted[sorted.length - 1] };
}

function start(args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
