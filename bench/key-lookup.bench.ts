import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { databaseOptions } from '../src/database/database.options.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { runMigrationsLocked } from '../src/database/migrate.js';
import { APP_SCHEMA } from '../src/app.schema.js';
import { KEY_LOOKUP_SQL } from '../src/streams/key-lookup.query.js';

/**
 * `npm run bench:lookup`: the ingest key lookup (GET /api/v1/ingest/keys/:key)
 * under load, the app against its floor (bench/floor-server.ts: node:http + pg,
 * the same query), in the same run and on the same database; then the lookup's
 * latency at 10^4 versus 10^6 streams.
 *
 * Environment: DATABASE_URL (a server to create a scratch database on; default
 * an embedded PostgreSQL 15), BENCH_SECONDS (per measured run, default 10),
 * BENCH_ROUNDS (app/floor alternations, default 2), BENCH_LARGE (default 1000000).
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LARGE = Number(process.env.BENCH_LARGE ?? 1_000_000);
const CONNECTIONS = 32;
const POOL = 10; // DB_POOL_MAX default, for both servers
const USERS = 1000;
const SALT = randomBytes(8).toString('hex');

interface WrkResult {
  requests: number;
  duration_us: number;
  non2xx: number;
  socket_errors: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
}

const children = new Set<ChildProcess>();
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install wrk)');
  const dir = await mkdtemp(join(tmpdir(), 'streamly-bench-'));
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
    await db.query(
      `INSERT INTO users (username, email, password) SELECT 'bench_' || i, 'bench_' || i || '@example.test', 'x' FROM generate_series(1, $1::int) i`,
      [USERS],
    );

    const secret = randomBytes(32).toString('base64url');
    const appPort = await freePort();
    const floorPort = await freePort();
    const common = { ...process.env, DATABASE_URL: databaseUrl, INGEST_SECRET: secret, DB_POOL_MAX: String(POOL) };
    start(
      'app',
      [...(process.env.BENCH_APP_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_APP_PROF}`] : []), 'dist/src/main.js'],
      {
        ...common,
        NODE_ENV: 'production',
        PORT: String(appPort),
        HOST: '127.0.0.1',
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'warn',
        MIGRATIONS_RUN: 'false',
        SHUTDOWN_DRAIN_MS: '0',
      },
      join(dir, 'app.log'),
    );
    start('floor', ['dist/bench/floor-server.js'], { ...common, PORT: String(floorPort) }, join(dir, 'floor.log'));
    const app = `http://127.0.0.1:${appPort}`;
    const floor = `http://127.0.0.1:${floorPort}`;
    await waitForHttp(`${app}/health/live`);
    await waitForHttp(floor);

    const script = join(dir, 'lookup.lua');
    await writeFile(script, LUA);
    const keysFile = join(dir, 'keys.txt');
    const env = { ...process.env, BENCH_SECRET: secret, BENCH_KEYS: keysFile };
    const wrk = (target: string, connections: number, seconds: number) => runWrk(target, connections, seconds, script, env);

    log(
      `# key lookup benchmark  (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );

    // 10^4 streams: the lookup's latency, one request at a time.
    await grow(db, 10_000);
    await writeKeys(db, keysFile, 10_000);
    await wrk(app, 4, 2);
    const small = { http: await wrk(app, 1, 5), query: await queryLatency(db, keysFile) };

    // 10^5 streams: throughput, app against floor, alternating so both see the same machine.
    await grow(db, 100_000);
    await writeKeys(db, keysFile, 100_000);
    await wrk(app, CONNECTIONS, 3); // warm-up: JIT, pools, caches
    await wrk(floor, CONNECTIONS, 3);
    const appRuns: WrkResult[] = [];
    const floorRuns: WrkResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      appRuns.push(await wrk(app, CONNECTIONS, SECONDS));
      floorRuns.push(await wrk(floor, CONNECTIONS, SECONDS));
    }

    // 10^6 streams: the same lookup, one request at a time.
    await grow(db, LARGE);
    await writeKeys(db, keysFile, 100_000);
    await wrk(app, 4, 2);
    const large = { http: await wrk(app, 1, 5), query: await queryLatency(db, keysFile) };
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${KEY_LOOKUP_SQL}`, ['x'])).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n    ');
    await db.end();

    const rps = (r: WrkResult) => r.requests / (r.duration_us / 1e6);
    const sum = (runs: WrkResult[]) => ({
      rps: runs.reduce((a, r) => a + rps(r), 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.p99_us)) / 1000,
      p50: runs.reduce((a, r) => a + r.p50_us, 0) / runs.length / 1000,
      bad: runs.reduce((a, r) => a + r.non2xx + r.socket_errors, 0),
    });
    const a = sum(appRuns);
    const f = sum(floorRuns);
    const ms = (us: number) => (us / 1000).toFixed(2);

    log(`\n## Throughput at 10^5 streams: ${CONNECTIONS} connections, random keys, ${ROUNDS} x ${SECONDS} s each, alternating`);
    log(`| server | req/s (mean) | p50 ms | p99 ms (worst run) | non-2xx/errors | runs req/s |`);
    log(`|---|---|---|---|---|---|`);
    log(
      `| app (Nest + Fastify) | ${a.rps.toFixed(0)} | ${a.p50.toFixed(2)} | ${a.p99.toFixed(2)} | ${a.bad} | ${appRuns.map((r) => rps(r).toFixed(0)).join(', ')} |`,
    );
    log(
      `| floor (node:http + pg) | ${f.rps.toFixed(0)} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.bad} | ${floorRuns.map((r) => rps(r).toFixed(0)).join(', ')} |`,
    );
    log(`\nthroughput ratio app/floor = ${(a.rps / f.rps).toFixed(2)}  (target >= 0.6)`);

    log(`\n## Lookup latency by table size (one connection)`);
    log(`| streams | HTTP via app: req/s | p50 ms | p99 ms | query alone (pg, ${QUERY_SAMPLES} keys): p50 ms | p99 ms |`);
    log(`|---|---|---|---|---|---|`);
    for (const [label, r] of [
      ['10^4', small],
      [Number.isInteger(Math.log10(LARGE)) ? `10^${Math.log10(LARGE)}` : String(LARGE), large],
    ] as const) {
      log(
        `| ${label} | ${rps(r.http).toFixed(0)} | ${ms(r.http.p50_us)} | ${ms(r.http.p99_us)} | ${r.query.p50.toFixed(3)} | ${r.query.p99.toFixed(3)} |`,
      );
    }
    log(`\nplan of the lookup at ${LARGE} streams:\n    ${plan}`);
  } finally {
    for (const child of children) await stop(child);
    if (admin && dbName) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Random keys from wrk's LuaJIT; prints one JSON line at the end. */
const LUA = `
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_SECRET") }
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/ingest/keys/" .. keys[math.random(#keys)], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
`;

/** Adds streams (all usable, spread over the users) until there are `total`, then refreshes statistics. */
async function grow(db: pg.Client, total: number): Promise<void> {
  const started = Date.now();
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM streams`);
  for (let from = rows[0].n + 1; from <= total; from += 100_000) {
    const to = Math.min(total, from + 99_999);
    // 43-character base64url keys, like generated ones (sha256 is built into PostgreSQL 11+).
    await db.query(
      `WITH u AS (SELECT array_agg(id) AS ids FROM users)
       INSERT INTO streams (user_id, stream_key, expires_at)
       SELECT u.ids[1 + i % array_length(u.ids, 1)],
              translate(rtrim(encode(sha256(convert_to($3 || i::text, 'UTF8')), 'base64'), '='), '+/', '-_'),
              now() + interval '30 days'
       FROM u, generate_series($1::int, $2::int) i`,
      [from, to, SALT],
    );
  }
  await db.query(`VACUUM ANALYZE streams`);
  log(`(seeded ${total} streams in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function writeKeys(db: pg.Client, file: string, count: number): Promise<void> {
  const { rows } = await db.query<{ stream_key: string }>(`SELECT stream_key FROM streams ORDER BY random() LIMIT $1`, [count]);
  await writeFile(file, `${rows.map((r) => r.stream_key).join('\n')}\n`);
}

const QUERY_SAMPLES = 2000;

/** The query alone over one connection, client-timed: what the table size does to the database's part. */
async function queryLatency(db: pg.Client, keysFile: string): Promise<{ p50: number; p99: number }> {
  const { readFile } = await import('node:fs/promises');
  const keys = (await readFile(keysFile, 'utf8')).trim().split('\n');
  const times: number[] = [];
  for (let i = 0; i < QUERY_SAMPLES + 200; i++) {
    const key = keys[Math.floor(Math.random() * keys.length)];
    const started = process.hrtime.bigint();
    await db.query(KEY_LOOKUP_SQL, [key]);
    if (i >= 200) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((x, y) => x - y);
  return { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)] };
}

function runWrk(target: string, connections: number, seconds: number, script: string, env: NodeJS.ProcessEnv): Promise<WrkResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, target], { env });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${out}`));
      resolvePromise(JSON.parse(line.slice(6)) as WrkResult);
    });
  });
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): void {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`${name} exited (${code ?? signal}):\n${output}\n`);
    void writeFile(logFile, output).catch(() => undefined);
  });
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
