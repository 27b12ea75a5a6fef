import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { APP_SCHEMA } from '../src/app.schema.js';
import { databaseOptions } from '../src/database/database.options.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { runMigrationsLocked } from '../src/database/migrate.js';

/**
 * `npm run bench:on-update`: nginx-rtmp's on_update (form-encoded, as nginx posts it)
 * against one app instance holding 10^4 open publish sessions, each request for a
 * random one of them (wrk, random client ids). Every request is a real decision: the
 * session is touched (UPDATE) and its stream's key state read (SELECT). The plain key
 * lookup on the same data is measured alongside for reference.
 *
 * Environment: DATABASE_URL (a server to create a scratch database on; default an
 * embedded PostgreSQL 15), BENCH_SESSIONS (default 10000), BENCH_SECONDS (default 10),
 * BENCH_ROUNDS (default 2), BENCH_CONNECTIONS (default 32).
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL = 10; // DB_POOL_MAX default

interface WrkResult {
  requests: number;
  duration_us: number;
  non2xx: number;
  socket_errors: number;
  p50_us: number;
  p99_us: number;
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
      `INSERT INTO users (username, email, password) SELECT 'bench_' || i, 'bench_' || i || '@example.test', 'x' FROM generate_series(1, 2000) i`,
    );
    await db.query(
      `WITH u AS (SELECT array_agg(id) AS ids FROM users)
       INSERT INTO streams (user_id, stream_key, expires_at)
       SELECT u.ids[1 + i % array_length(u.ids, 1)], translate(rtrim(encode(sha256(convert_to($2 || i::text, 'UTF8')), 'base64'), '='), '+/', '-_'),
              now() + interval '30 days'
       FROM u, generate_series(1, $1::int) i`,
      [SESSIONS, randomBytes(8).toString('hex')],
    );
    const keys = (await db.query<{ stream_key: string }>(`SELECT stream_key FROM streams ORDER BY id`)).rows.map((r) => r.stream_key);

    const secret = randomBytes(32).toString('base64url');
    const port = await freePort();
    start(['dist/src/main.js'], {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      INGEST_SECRET: secret,
      JWT_SECRET: randomBytes(32).toString('hex'),
      DB_POOL_MAX: String(POOL),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MIGRATIONS_RUN: 'false',
      SHUTDOWN_DRAIN_MS: '0',
      MAX_LIVE_STREAMS_PER_USER: '0',
    });
    const app = `http://127.0.0.1:${port}`;
    await waitForHttp(`${app}/health/live`);

    // Open the sessions the way nginx does: one on_publish per publisher, client id = its line number.
    const started = Date.now();
    const hook = (call: string) => `${app}/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(secret)}`;
    for (let from = 0; from < SESSIONS; from += 50) {
      await Promise.all(
        keys.slice(from, from + 50).map(async (key, j) => {
          const res = await fetch(hook('on_publish'), {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `app=live&addr=203.0.113.7&clientid=${from + j + 1}&call=publish&name=${key}&type=live`,
          });
          if (res.status !== 200) throw new Error(`on_publish answered ${res.status}`);
        }),
      );
    }
    await db.query('VACUUM ANALYZE publish_sessions, streams, stream_live_periods');
    const open = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM publish_sessions WHERE ended_at IS NULL`)).rows[0].n;
    log(`(opened ${await open()} sessions through on_publish in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

    const keysFile = join(dir, 'keys.txt');
    await writeFile(keysFile, `${keys.join('\n')}\n`);
    const env = { ...process.env, BENCH_SECRET: secret, BENCH_KEYS: keysFile };
    await writeFile(join(dir, 'update.lua'), ON_UPDATE_LUA);
    await writeFile(join(dir, 'lookup.lua'), LOOKUP_LUA);
    const wrk = (script: string, seconds: number) => runWrk(app, CONNECTIONS, seconds, join(dir, script), env);

    log(
      `# on_update benchmark  (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
    await wrk('update.lua', 3); // warm-up: JIT, pools, prepared statements
    await wrk('lookup.lua', 3);
    const updates: WrkResult[] = [];
    const lookups: WrkResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      updates.push(await wrk('update.lua', SECONDS));
      lookups.push(await wrk('lookup.lua', SECONDS));
    }
    const stillOpen = await open();
    const [{ n: sessionRows }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM publish_sessions`)).rows;
    await db.end();

    const rps = (r: WrkResult) => r.requests / (r.duration_us / 1e6);
    const row = (name: string, runs: WrkResult[]) =>
      `| ${name} | ${(runs.reduce((a, r) => a + rps(r), 0) / runs.length).toFixed(0)} | ${(runs.reduce((a, r) => a + r.p50_us, 0) / runs.length / 1000).toFixed(2)} | ${(Math.max(...runs.map((r) => r.p99_us)) / 1000).toFixed(2)} | ${runs.reduce((a, r) => a + r.non2xx + r.socket_errors, 0)} | ${runs.map((r) => rps(r).toFixed(0)).join(', ')} |`;
    log(
      `\n## ${SESSIONS} open sessions, one instance (DB_POOL_MAX ${POOL}), ${CONNECTIONS} connections, random clients, ${ROUNDS} x ${SECONDS} s, alternating`,
    );
    log(`| route | req/s (mean) | p50 ms | p99 ms (worst run) | non-2xx/errors | runs req/s |`);
    log(`|---|---|---|---|---|---|`);
    log(row('POST on_update (form)', updates));
    log(row('GET ingest/keys/:key (reference)', lookups));
    log(`\nafter the runs: ${stillOpen} sessions open, ${sessionRows} session rows (none lost or doubled: both ${SESSIONS})`);
  } finally {
    for (const child of children) await stop(child);
    if (admin && dbName) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`;

/** What nginx-rtmp 1.2.2 posts every notify_update_timeout, for a random open session (client id = line number). */
const ON_UPDATE_LUA = `
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local path = "/api/v1/ingest/nginx/on_update?secret=" .. os.getenv("BENCH_SECRET"):gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end)
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
math.randomseed(7)
request = function()
  local i = math.random(#keys)
  return wrk.format("POST", path, headers,
    "app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A1935%2Flive&pageurl=&addr=203.0.113.7&clientid=" .. i ..
    "&call=update_publish&time=30&timestamp=30000&name=" .. keys[i] .. "&type=live")
end
${DONE_LUA}`;

const LOOKUP_LUA = `
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_SECRET") }
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/ingest/keys/" .. keys[math.random(#keys)], headers)
end
${DONE_LUA}`;

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

function start(args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`app exited (${code ?? signal}):\n${output}\n`);
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

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
