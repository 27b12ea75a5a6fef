import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { freePort } from '../src/database/embedded-postgres.js';
import { connect, DatabaseServer, growStreams, seedUsers, writeKeys } from './lib/database.js';
import {
  cleanupAll,
  installCleanup,
  ROOT,
  rssMb,
  sleep,
  spawnChild,
  startServer,
  stopChild,
  waitForHttp,
  type Server,
} from './lib/processes.js';
import { summarizeProfile } from './lib/profile.js';
import { median, Report, summarize } from './lib/report.js';
import { assertWrk, LUA_URLENCODE, luaLines, Wrk, type Run } from './lib/wrk.js';

/**
 * `npm run bench`: every performance target of issue 12, the app against its floor in the
 * same run, alternating, then one table and one verdict per target.
 *
 *   npm run bench                              all benchmarks (BENCH_ROUNDS=8 × BENCH_SECONDS=5 per server)
 *   npm run bench -- --quick                   2 rounds × 2 s, a smoke test
 *   npm run bench -- --only lookup,nginx       a subset: lookup, nginx, live, coldstart, scale, login
 *   npm run bench -- --profile                 CPU profile of the app under the lookup load (top frames)
 *
 * DATABASE_URL: the server scratch databases are created on (all dropped at the end);
 * unset, an embedded PostgreSQL 15 in a temporary directory. Raw results go to
 * bench/results/<timestamp>.json.
 *
 * Every app instance runs as in production: `node dist/src/main.js`, NODE_ENV=production,
 * LOG_LEVEL=info (the per-request log line stays on; stdout to a file), random secrets,
 * DB_POOL_MAX=10, on 127.0.0.1. Floors are in bench/floors/.
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
const QUICK = flag('quick');
const SECONDS = QUICK ? 2 : Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = QUICK ? 2 : Number(process.env.BENCH_ROUNDS ?? 8);
const WARMUP_SECONDS = QUICK ? 1 : 3;
const GROUPS = ['lookup', 'nginx', 'live', 'coldstart', 'scale', 'login'] as const;
type Group = (typeof GROUPS)[number];
const only = option('only')
  ?.split(',')
  .map((s) => s.trim()) as Group[] | undefined;
for (const g of only ?? []) if (!GROUPS.includes(g)) throw new Error(`--only: unknown benchmark "${g}" (one of ${GROUPS.join(', ')})`);
const selected = (g: Group) => !flag('profile') && (only ? only.includes(g) : true);

const CONNECTIONS = 32;
const POOL = 10; // DB_POOL_MAX default, for the app and every floor
const log = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stdout.write(`# ${line}\n`);

interface Context {
  dir: string;
  db: DatabaseServer;
  wrk: Wrk;
  report: Report;
  raw: Record<string, unknown>;
}

const secret = () => randomBytes(32).toString('base64url');

/** The environment of an app instance: production, LOG_LEVEL=info, its own secrets and port. */
function appEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: secret(),
    INGEST_SECRET: secret(),
    DB_POOL_MAX: String(POOL),
    HOST: '127.0.0.1',
    PORT: String(port),
    SHUTDOWN_DRAIN_MS: '0', // stopping only; nothing is measured during shutdown
    ...extra,
  };
}

async function startApp(ctx: Context, name: string, databaseUrl: string, extra: Record<string, string> = {}, nodeFlags: string[] = []) {
  const port = await freePort();
  return startServer(
    name,
    [...nodeFlags, 'dist/src/main.js'],
    appEnv(databaseUrl, port, extra),
    port,
    join(ctx.dir, `${name}.log`),
    '/health/ready',
  );
}

async function startFloor(ctx: Context, name: string, file: string, env: Record<string, string>, readyPath = '/') {
  const port = await freePort();
  const full = { ...process.env, DB_POOL_MAX: String(POOL), PORT: String(port), ...env };
  // Floors answer 401 or 404 on `/`: any HTTP answer means up.
  return startServer(name, [`dist/bench/floors/${file}`], full, port, join(ctx.dir, `${name}.log`), readyPath, true);
}

/** Runs `measure` for each server once per round, alternating the order every round. */
async function alternate<T extends string>(servers: T[], measure: (server: T, round: number) => Promise<Run>): Promise<Map<T, Run[]>> {
  const runs = new Map<T, Run[]>(servers.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 ? [...servers].reverse() : servers) runs.get(server)!.push(await measure(server, round));
    progress(`round ${round + 1}/${ROUNDS}: ${servers.map((s) => `${s} ${Math.round(runs.get(s)!.at(-1)!.rps)}`).join(', ')} req/s`);
  }
  return runs;
}

const LOOKUP_LUA = `${luaLines('keys', 'BENCH_KEYS')}
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_SECRET") }
math.randomseed(tonumber(os.getenv("BENCH_SEED") or "42"))
request = function()
  return wrk.format("GET", "/api/v1/ingest/keys/" .. keys[math.random(#keys)], headers)
end
`;

// ---------------------------------------------------------------- 1. key lookup

async function lookupDatabase(ctx: Context, label: string, streams: number, keyCount: number) {
  const url = await ctx.db.create(label);
  const db = await connect(url);
  const started = Date.now();
  await seedUsers(db, 1000);
  await growStreams(db, streams, randomBytes(8).toString('hex'));
  const keysFile = join(ctx.dir, `${label}-keys.txt`);
  await writeKeys(db, keysFile, keyCount);
  progress(`${label}: ${streams} streams seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, db, keysFile };
}

async function lookup(ctx: Context): Promise<void> {
  progress(
    'key lookup: app vs floor (named prepared) vs floor (unnamed) vs bare Fastify vs Fastify + the per-request contract vs that on Nest, 10^5 streams',
  );
  const { url, db, keysFile } = await lookupDatabase(ctx, 'lookup', 100_000, 100_000);
  const ingestSecret = secret();
  const servers: Record<string, Server> = {
    app: await startApp(ctx, 'lookup-app', url, { INGEST_SECRET: ingestSecret }),
    'floor (prepared)': await startFloor(ctx, 'lookup-floor-prepared', 'key-lookup.js', {
      DATABASE_URL: url,
      INGEST_SECRET: ingestSecret,
      FLOOR_PREPARED: '1',
    }),
    'floor (unnamed)': await startFloor(ctx, 'lookup-floor-plain', 'key-lookup.js', { DATABASE_URL: url, INGEST_SECRET: ingestSecret }),
    'Fastify floor': await startFloor(ctx, 'lookup-floor-fastify', 'key-lookup-fastify.js', {
      DATABASE_URL: url,
      INGEST_SECRET: ingestSecret,
    }),
    'contract floor': await startFloor(ctx, 'lookup-floor-contract', 'key-lookup-contract.js', {
      DATABASE_URL: url,
      INGEST_SECRET: ingestSecret,
    }),
    'Nest contract floor': await startFloor(ctx, 'lookup-floor-nest', 'key-lookup-nest.js', {
      DATABASE_URL: url,
      INGEST_SECRET: ingestSecret,
    }),
  };
  try {
    const script = await ctx.wrk.script('lookup', LOOKUP_LUA);
    const env = { BENCH_SECRET: ingestSecret, BENCH_KEYS: keysFile };
    const run = (name: string, seconds: number) => ctx.wrk.run(servers[name], { script, connections: CONNECTIONS, seconds, env });
    for (const name of Object.keys(servers)) await run(name, WARMUP_SECONDS);
    const runs = await alternate(Object.keys(servers), (name) => run(name, SECONDS));
    const [app, floor, plain, fastify, contract, nest] = [
      'app',
      'floor (prepared)',
      'floor (unnamed)',
      'Fastify floor',
      'contract floor',
      'Nest contract floor',
    ].map((n) => summarize(runs.get(n)!));
    const bench = 'lookup 10^5, c32';
    ctx.report.add(bench, 'app (Nest + Fastify)', app, app.rps / floor.rps);
    ctx.report.add(bench, 'floor: node:http + pg, prepared', floor);
    ctx.report.add(bench, 'floor: node:http + pg, unnamed (ref.)', plain, floor.rps / plain.rps);
    ctx.report.add(bench, 'floor: bare Fastify + pg, prepared (ref.)', fastify, fastify.rps / floor.rps);
    ctx.report.add(bench, 'floor: Fastify + the per-request contract (ref.)', contract, contract.rps / floor.rps);
    ctx.report.add(bench, 'floor: the same on Nest + TypeORM (ref.)', nest, nest.rps / floor.rps);
    ctx.report.verdict('1. key lookup throughput app ÷ prepared floor', app.rps / floor.rps, '>=', 0.9, '×', [
      app.errorRate,
      floor.errorRate,
    ]);
    ctx.report.verdict('1. key lookup p99 app ÷ prepared floor (medians of per-round p99)', app.p99Ms / floor.p99Ms, '<=', 1.5, '×', [
      app.errorRate,
      floor.errorRate,
    ]);
    ctx.report.note(
      `lookup: the unnamed floor's ratio column is prepared ÷ unnamed (${(floor.rps / plain.rps).toFixed(2)}): what naming the statement buys; ` +
        `the bare Fastify floor's is Fastify ÷ node:http (${(fastify.rps / floor.rps).toFixed(2)}): what the framework's routing and reply cost; ` +
        `Fastify + the per-request contract (request id, log line, Cache-Control, three Prometheus observations) ÷ node:http ` +
        `(${(contract.rps / floor.rps).toFixed(2)}): the best a server doing that work per request reaches here; ` +
        `the same on Nest's Fastify adapter with TypeORM connected ÷ node:http (${(nest.rps / floor.rps).toFixed(2)}): the decided stack's share.`,
    );
    ctx.raw.lookup = Object.fromEntries(runs);
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await db.end();
    await ctx.db.drop(url);
  }
}

// ---------------------------------------------------------------- 2. nginx-rtmp hooks

const FORM_HEAD = 'app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A1935%2Flive&pageurl=&addr=203.0.113.7';

/**
 * on_publish: every request publishes the next key of a pool of idle streams (each key once
 * per run, in stream id order, so no owner reaches MAX_LIVE_STREAMS_PER_USER) with a new
 * client id: the full go-live path (stream lock, live-limit count under its advisory lock,
 * displaced-session end, new live period, mark live, stream.live outbox event, session insert).
 */
const PUBLISH_LUA = `${luaLines('keys', 'BENCH_KEYS')}${LUA_URLENCODE}
local path = "/api/v1/ingest/nginx/on_publish?secret=" .. urlencode(os.getenv("BENCH_SECRET"))
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local base = tonumber(os.getenv("BENCH_CLIENT_BASE"))
local n = 0
request = function()
  n = n + 1
  local key = keys[((n - 1) % #keys) + 1]
  return wrk.format("POST", path, headers, "${FORM_HEAD}&clientid=" .. (base + n) .. "&call=publish&name=" .. key .. "&type=live")
end
`;

/** on_update, as nginx-rtmp 1.2.2 posts it, for a random open session (client id = the key's line number). */
const UPDATE_LUA = `${luaLines('keys', 'BENCH_KEYS')}${LUA_URLENCODE}
local path = "/api/v1/ingest/nginx/on_update?secret=" .. urlencode(os.getenv("BENCH_SECRET"))
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
math.randomseed(7)
request = function()
  local i = math.random(#keys)
  return wrk.format("POST", path, headers, "${FORM_HEAD}&clientid=" .. i .. "&call=update_publish&time=30&timestamp=30000&name=" .. keys[i] .. "&type=live")
end
`;

/** The servers the nginx hooks run on: the app, its floor, and the floor plus the contract's per-request work. */
const HOOK_SERVERS = ['app', 'floor', 'contract floor'] as const;
type HookServer = (typeof HOOK_SERVERS)[number];
const HOOK_FLOOR_FILES: Record<Exclude<HookServer, 'app'>, string> = {
  floor: 'nginx-hooks.js',
  'contract floor': 'nginx-hooks-contract.js',
};

const SESSIONS = 10_000;
const PUBLISH_POOL = Number(process.env.BENCH_PUBLISH_POOL ?? 100_000);
const LIVE_USERS = 20_000;

async function nginx(ctx: Context): Promise<void> {
  progress(
    `nginx-rtmp hooks: app vs floor (bare node:http + pg, same statements) vs Fastify + the per-request contract, ${SESSIONS} open sessions, a database each`,
  );
  const salt = randomBytes(8).toString('hex');
  const ingestSecret = secret();
  // The app and each floor get a database of their own, seeded alike: on_publish writes
  // (outbox events the app's webhook dispatcher picks up through LISTEN), so sharing one would
  // hand the floors' writes to the app's background work.
  const setups: { name: HookServer; url: string; db: pg.Client; server?: Server }[] = [];
  try {
    for (const name of HOOK_SERVERS) {
      const url = await ctx.db.create(`nginx_${name.replace(/\W+/g, '_')}`);
      const db = await connect(url);
      await seedUsers(db, LIVE_USERS);
      await growStreams(db, SESSIONS + PUBLISH_POOL, salt);
      setups.push({ name, url, db });
    }
    const { rows } = await setups[0].db.query<{ id: number; stream_key: string }>(`SELECT id, stream_key FROM streams ORDER BY id`);
    const updateKeys = rows.slice(0, SESSIONS).map((r) => r.stream_key);
    const publishKeys = rows.slice(SESSIONS).map((r) => r.stream_key);
    const firstPublishId = rows[SESSIONS].id;
    const updateFile = join(ctx.dir, 'update-keys.txt');
    const publishFile = join(ctx.dir, 'publish-keys.txt');
    await writeFile(updateFile, `${updateKeys.join('\n')}\n`);
    await writeFile(publishFile, `${publishKeys.join('\n')}\n`);

    for (const setup of setups) {
      setup.server =
        setup.name === 'app'
          ? await startApp(ctx, 'nginx-app', setup.url, { INGEST_SECRET: ingestSecret })
          : await startFloor(ctx, `nginx-${setup.name.replace(/\W+/g, '-')}`, HOOK_FLOOR_FILES[setup.name], {
              DATABASE_URL: setup.url,
              INGEST_SECRET: ingestSecret,
            });
      // The sessions on_update finds, opened the way nginx opens them: one on_publish each, through the server itself.
      const started = Date.now();
      const hook = `${setup.server.url}/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(ingestSecret)}`;
      for (let from = 0; from < SESSIONS; from += 32) {
        await Promise.all(
          updateKeys.slice(from, from + 32).map(async (key, j) => {
            const res = await fetch(hook, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `${FORM_HEAD}&clientid=${from + j + 1}&call=publish&name=${key}&type=live`,
            });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`${setup.name} on_publish answered ${res.status}`);
          }),
        );
      }
      const open = await openSessions(setup.db, firstPublishId);
      if (open !== SESSIONS) throw new Error(`${setup.name}: ${open} sessions open, expected ${SESSIONS}`);
      await setup.db.query('VACUUM ANALYZE publish_sessions, streams, stream_live_periods, stream_events');
      progress(`${setup.name}: ${open} sessions opened through its on_publish in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    const publishScript = await ctx.wrk.script('publish', PUBLISH_LUA);
    const updateScript = await ctx.wrk.script('update', UPDATE_LUA);
    const byName = new Map(setups.map((s) => [s.name, s]));
    let clientBase = 1_000_000;
    const publish = async (name: HookServer, seconds: number) => {
      const setup = byName.get(name)!;
      await resetPublishes(setup.db, firstPublishId);
      clientBase += 1_000_000;
      const run = await ctx.wrk.run(setup.server!, {
        script: publishScript,
        connections: CONNECTIONS,
        seconds,
        env: { BENCH_SECRET: ingestSecret, BENCH_KEYS: publishFile, BENCH_CLIENT_BASE: String(clientBase) },
      });
      if (run.requests > PUBLISH_POOL * 0.8)
        ctx.report.note(
          `on_publish: ${name} made ${run.requests} publishes in one run, more than 80% of the pool (${PUBLISH_POOL}): raise BENCH_PUBLISH_POOL`,
        );
      return run;
    };
    const update = async (name: HookServer, seconds: number) => {
      const setup = byName.get(name)!;
      await freshenSessions(setup.db, firstPublishId);
      return ctx.wrk.run(setup.server!, {
        script: updateScript,
        connections: CONNECTIONS,
        seconds,
        env: { BENCH_SECRET: ingestSecret, BENCH_KEYS: updateFile },
      });
    };
    for (const name of HOOK_SERVERS) {
      await publish(name, WARMUP_SECONDS);
      await update(name, WARMUP_SECONDS);
    }
    const publishRuns = await alternate([...HOOK_SERVERS], (name) => publish(name, SECONDS));
    const updateRuns = await alternate([...HOOK_SERVERS], (name) => update(name, SECONDS));
    for (const setup of setups) {
      // Every on_update found its session: none was taken up again or replaced (which would add rows).
      const open = await openSessions(setup.db, firstPublishId);
      const { rows: all } = await setup.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM publish_sessions WHERE stream_id < $1`, [
        firstPublishId,
      ]);
      if (open !== SESSIONS || all[0].n !== SESSIONS)
        ctx.report.note(`nginx: ${setup.name} has ${open} update sessions open and ${all[0].n} rows after the runs, expected ${SESSIONS}`);
    }
    for (const [label, runs, target] of [
      ['on_publish', publishRuns, '2. on_publish app ÷ floor'],
      ['on_update', updateRuns, '2. on_update app ÷ floor'],
    ] as const) {
      const [app, floor, contract] = HOOK_SERVERS.map((name) => summarize(runs.get(name)!));
      ctx.report.add(`${label} 10^4 sessions, c32`, 'app (Nest + Fastify)', app, app.rps / floor.rps);
      ctx.report.add(`${label} 10^4 sessions, c32`, 'floor: node:http + pg, same SQL', floor);
      ctx.report.add(`${label} 10^4 sessions, c32`, 'floor: Fastify + the per-request contract (ref.)', contract, contract.rps / floor.rps);
      ctx.report.verdict(target, app.rps / floor.rps, '>=', 0.8, '×', [app.errorRate, floor.errorRate]);
      ctx.report.note(
        `${label}: Fastify + the per-request contract (request id, log line, Cache-Control, the request, statement and decision ` +
          `observations) ÷ node:http (${(contract.rps / floor.rps).toFixed(2)}): the best a server doing that work per request reaches here; ` +
          `app ÷ that (${(app.rps / contract.rps).toFixed(2)}).`,
      );
    }
    ctx.report.note(
      'on_publish: each request publishes a fresh idle stream (new client id, next key of a 10^5 pool): the go-live path; ' +
        'between runs the bench ends those sessions/periods in SQL (untimed). on_update: random open session, last_seen_at ' +
        'reset before each run so every touch is the read-only path (a stale one adds one UPDATE per 30 s per session).',
    );
    ctx.raw.on_publish = Object.fromEntries(publishRuns);
    ctx.raw.on_update = Object.fromEntries(updateRuns);
  } finally {
    for (const setup of setups) {
      await setup.server?.stop();
      await setup.db.end();
      await ctx.db.drop(setup.url);
    }
  }
}

async function openSessions(db: pg.Client, firstPublishId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM publish_sessions WHERE ended_at IS NULL AND stream_id < $1`,
    [firstPublishId],
  );
  return rows[0].n;
}

/** Untimed, between on_publish runs: the pool's publishes end (as publish_done + reconnect window would), its streams are idle again. */
async function resetPublishes(db: pg.Client, firstPublishId: number): Promise<void> {
  await db.query(`UPDATE publish_sessions SET ended_at = now(), end_reason = 'publish_done' WHERE ended_at IS NULL AND stream_id >= $1`, [
    firstPublishId,
  ]);
  await db.query(`UPDATE stream_live_periods SET ended_at = now(), end_reason = 'idle' WHERE ended_at IS NULL AND stream_id >= $1`, [
    firstPublishId,
  ]);
  await db.query(`UPDATE streams SET status = 'active', updated_at = now() WHERE status = 'live' AND id >= $1`, [firstPublishId]);
  await db.query('VACUUM ANALYZE publish_sessions, stream_live_periods, streams');
}

/** Untimed, before on_update runs: every open session was seen just now (no sweep, every touch the read-only path). */
async function freshenSessions(db: pg.Client, firstPublishId: number): Promise<void> {
  await db.query(`UPDATE publish_sessions SET last_seen_at = now() WHERE ended_at IS NULL AND stream_id < $1`, [firstPublishId]);
  await db.query('VACUUM ANALYZE publish_sessions');
}

// ---------------------------------------------------------------- 3. /health/live

async function live(ctx: Context): Promise<void> {
  progress('GET /health/live: app (LOG_LEVEL=info) vs bare Fastify');
  const url = await ctx.db.create('health');
  const servers: Record<string, Server> = {
    app: await startApp(ctx, 'health-app', url),
    floor: await startFloor(ctx, 'health-floor', 'health.js', {}, '/health/live'),
  };
  try {
    const script = await ctx.wrk.script('static', '');
    const run = (name: string, seconds: number) =>
      ctx.wrk.run(servers[name], { script, connections: CONNECTIONS, seconds, path: '/health/live' });
    for (const name of Object.keys(servers)) await run(name, WARMUP_SECONDS);
    const runs = await alternate(Object.keys(servers), (name) => run(name, SECONDS));
    const app = summarize(runs.get('app')!);
    const floor = summarize(runs.get('floor')!);
    ctx.report.add('GET /health/live, c32', 'app (Nest + Fastify)', app, app.rps / floor.rps);
    ctx.report.add('GET /health/live, c32', 'floor: bare Fastify, same JSON', floor);
    ctx.report.verdict('3. /health/live app ÷ bare Fastify', app.rps / floor.rps, '>=', 0.6, '×', [app.errorRate, floor.errorRate]);
    ctx.raw.health = Object.fromEntries(runs);
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await ctx.db.drop(url);
  }
}

// ---------------------------------------------------------------- 4. cold start, idle RSS

/** Spawns, polls `path` every 10 ms until 200; returns ms from spawn and the child. */
async function timedStart(command: string, commandArgs: string[], env: NodeJS.ProcessEnv, port: number, logFile: string) {
  const started = performance.now();
  const child = spawnChild(command, commandArgs, env, logFile);
  await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { child, timeoutMs: 120_000, intervalMs: 10 });
  return { ms: performance.now() - started, child };
}

async function coldstart(ctx: Context): Promise<void> {
  progress('cold start: node dist/src/main.js on a migrated database (5 runs), idle RSS, npm start with the embedded PostgreSQL (3 runs)');
  const url = await ctx.db.create('coldstart');
  const starts: number[] = [];
  const stackStarts: number[] = [];
  let rss = NaN;
  let rssAfterStart = NaN;
  let rssSettledAt: number | undefined;
  try {
    for (let i = 0; i < 5; i++) {
      const port = await freePort();
      // MIGRATIONS_RUN left at its default (true): a start checks the migrations under the lock.
      const env = appEnv(url, port);
      delete env.MIGRATIONS_RUN;
      const { ms, child } = await timedStart(process.execPath, ['dist/src/main.js'], env, port, join(ctx.dir, 'coldstart.log'));
      starts.push(ms);
      if (i === 4) {
        // V8 keeps the heap that start-up grew until its memory reducer finds the process idle:
        // 30 s after the start here, later on a busy host (`--trace-gc`: "Mark-Compact (reduce)").
        // "Idle" RSS is read 5 s after the drop that marks it (at most 90 s); +5 s is shown too.
        await sleep(5000);
        rssAfterStart = await rssMb(child.pid!);
        for (let waited = 5; waited < 90; waited += 5) {
          await sleep(5000);
          rss = await rssMb(child.pid!);
          if (rss < 0.9 * rssAfterStart) {
            await sleep(5000);
            rss = await rssMb(child.pid!);
            rssSettledAt = waited + 5;
            break;
          }
        }
      }
      await stopChild(child);
      // Alternating with the app: the decided stack alone (bench/floors/nest-stack.ts) on the same database.
      const floorPort = await freePort();
      const floorEnv = { ...process.env, DATABASE_URL: url, PORT: String(floorPort) };
      const floor = await timedStart(
        process.execPath,
        ['dist/bench/floors/nest-stack.js'],
        floorEnv,
        floorPort,
        join(ctx.dir, 'nest-stack.log'),
      );
      stackStarts.push(floor.ms);
      await stopChild(floor.child);
    }
  } finally {
    await ctx.db.drop(url);
  }
  progress(`the decided stack alone (Nest + Fastify + TypeORM + Terminus): ${stackStarts.map((s) => s.toFixed(0)).join(', ')} ms`);
  progress(
    `node dist/src/main.js: ${starts.map((s) => s.toFixed(0)).join(', ')} ms; RSS ${rssAfterStart.toFixed(0)} MB at ready + 5 s, ${rss.toFixed(0)} MB ${rssSettledAt ? `at ready + ${rssSettledAt} s, after V8's memory reducer` : 'at ready + 90 s (no reducer drop seen)'}`,
  );

  // `npm start` without DATABASE_URL: the embedded PostgreSQL and the dev secrets live in DATA_DIR, a temporary one here.
  const dataDir = join(ctx.dir, 'npm-start-data');
  await mkdir(dataDir, { recursive: true });
  await chmod(ctx.dir, 0o755); // the embedded server runs as `postgres` and must reach its directory
  const npmStarts: number[] = [];
  const npmEnv = async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    for (const name of ['DATABASE_URL', 'NODE_ENV', 'JWT_SECRET', 'INGEST_SECRET', 'MIGRATIONS_RUN']) delete env[name];
    return { env, port };
  };
  for (let i = 0; i < 4; i++) {
    const { env, port } = await npmEnv();
    const { ms, child } = await timedStart('npm', ['start'], env, port, join(ctx.dir, 'npm-start.log'));
    const code = await stopChild(child, 20_000);
    if (i === 0) progress(`npm start, first (initdb, migrations; untimed): ${ms.toFixed(0)} ms, exit ${code ?? 'on the signal (npm)'}`);
    else npmStarts.push(ms);
  }
  progress(`npm start, second and later: ${npmStarts.map((s) => s.toFixed(0)).join(', ')} ms`);
  const cold = median(starts) / 1000;
  const npm = median(npmStarts) / 1000;
  ctx.report.verdict('4. cold start, node dist/src/main.js → /health/ready 200 (median of 5)', cold, '<=', 1.5, ' s');
  const stack = median(stackStarts) / 1000;
  ctx.report.note(
    `cold start: the decided stack alone (bench/floors/nest-stack.ts: Nest on Fastify, a ValidationPipe, TypeORM on pg, a Terminus ` +
      `ping; none of the app's modules) took ${stack.toFixed(2)} s to its first /health/ready 200 here (median of 5, alternating ` +
      `with the app's ${cold.toFixed(2)} s): the app's own start costs ${(cold - stack).toFixed(2)} s on top.`,
  );
  ctx.report.verdict('4. npm start, second start, embedded PostgreSQL → /health/ready 200 (median of 3)', npm, '<=', 2.5, ' s');
  ctx.report.verdict("4. idle RSS of the app (VmRSS, idle, after V8's memory reducer)", rss, '<=', 120, ' MB');
  ctx.raw.coldstart = {
    nodeMs: starts,
    stackMs: stackStarts,
    npmStartMs: npmStarts,
    idleRssMb: rss,
    rssAfterStartMb: rssAfterStart,
    rssSettledAtSeconds: rssSettledAt ?? null,
  };
  ctx.report.extra.coldstart = ctx.raw.coldstart;
}

// ---------------------------------------------------------------- 5. scale and login

async function scale(ctx: Context): Promise<void> {
  progress('scale: the key lookup at 10^4 vs 10^6 streams, two databases, two app instances, alternating');
  const small = await lookupDatabase(ctx, 'scale_small', 10_000, 10_000);
  const large = await lookupDatabase(ctx, 'scale_large', 1_000_000, 100_000);
  const ingestSecret = secret();
  const servers: Record<string, Server> = {};
  try {
    servers['10^4'] = await startApp(ctx, 'scale-small-app', small.url, { INGEST_SECRET: ingestSecret });
    servers['10^6'] = await startApp(ctx, 'scale-large-app', large.url, { INGEST_SECRET: ingestSecret });
    const script = await ctx.wrk.script('lookup', LOOKUP_LUA);
    const keys: Record<string, string> = { '10^4': small.keysFile, '10^6': large.keysFile };
    const run = (name: string, seconds: number) =>
      ctx.wrk.run(servers[name], {
        script,
        connections: CONNECTIONS,
        seconds,
        env: { BENCH_SECRET: ingestSecret, BENCH_KEYS: keys[name] },
      });
    for (const name of Object.keys(servers)) await run(name, WARMUP_SECONDS);
    const runs = await alternate(Object.keys(servers), (name) => run(name, SECONDS));
    const s = summarize(runs.get('10^4')!);
    const l = summarize(runs.get('10^6')!);
    ctx.report.add('lookup scale, c32', 'app at 10^4 streams', s);
    ctx.report.add('lookup scale, c32', 'app at 10^6 streams', l, l.rps / s.rps);
    ctx.report.verdict('5. lookup at 10^6 ÷ at 10^4 streams', l.rps / s.rps, '>=', 0.9, '×', [s.errorRate, l.errorRate]);
    ctx.raw.scale = Object.fromEntries(runs);
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    for (const d of [small, large]) {
      await d.db.end();
      await ctx.db.drop(d.url);
    }
  }
}

const LOGIN_CONNECTIONS = 8; // twice libuv's 4 threads, as bench/login.bench.js had it
const PASSWORD = 'correct horse battery staple';

async function login(ctx: Context): Promise<void> {
  const cost = 12; // the app's BCRYPT_COST default, which it runs with here
  progress(`login: the app vs the bcrypt floor (bcrypt.compare at cost ${cost}, libuv pool 4), ${LOGIN_CONNECTIONS} connections`);
  const url = await ctx.db.create('login');
  const db = await connect(url);
  const hash = await bcrypt.hash(PASSWORD, cost);
  await seedUsers(db, 1, hash, 'login_');
  await db.end();
  const servers: Record<string, Server> = {};
  try {
    // The per-IP limit (AUTH_RATE_LIMIT_PER_MINUTE, default 10) would answer 429: raised so its
    // PostgreSQL upsert stays on the path but never blocks. UV_THREADPOOL_SIZE: 4 for both.
    servers.app = await startApp(ctx, 'login-app', url, { AUTH_RATE_LIMIT_PER_MINUTE: '1000000', UV_THREADPOOL_SIZE: '4' });
    servers.floor = await startFloor(ctx, 'login-floor', 'bcrypt.js', { BENCH_BCRYPT_HASH: hash, UV_THREADPOOL_SIZE: '4' });
    const script = await ctx.wrk.script(
      'login',
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '${JSON.stringify({ login: 'login_1', password: PASSWORD })}'\n`,
    );
    const run = (name: string, seconds: number) =>
      ctx.wrk.run(servers[name], { script, connections: LOGIN_CONNECTIONS, seconds, path: '/api/v1/auth/login' });
    for (const name of Object.keys(servers)) await run(name, WARMUP_SECONDS);
    // A login takes about a second here (8 in flight on 4 threads, 2 cores): runs of at least 10 s,
    // so the requests still in flight when a run ends (not counted) are a small part of it.
    const runs = await alternate(Object.keys(servers), (name) => run(name, QUICK ? 3 : Math.max(SECONDS, 10)));
    const app = summarize(runs.get('app')!);
    const floor = summarize(runs.get('floor')!);
    ctx.report.add(`login, c${LOGIN_CONNECTIONS}`, 'app (Nest + Fastify)', app, app.rps / floor.rps);
    ctx.report.add(`login, c${LOGIN_CONNECTIONS}`, `floor: bcrypt.compare cost ${cost}`, floor);
    ctx.report.verdict('5. login app ÷ bcrypt floor', app.rps / floor.rps, '>=', 0.9, '×', [app.errorRate, floor.errorRate]);
    ctx.report.note("login: CPU µs/req counts the CPU of requests still in flight at a run's end (≈ 8 s of bcrypt): an overestimate.");
    ctx.raw.login = Object.fromEntries(runs);
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    await ctx.db.drop(url);
  }
}

// ---------------------------------------------------------------- profile

async function profileApp(ctx: Context): Promise<void> {
  const seconds = Number(process.env.BENCH_PROFILE_SECONDS ?? 10);
  progress(`CPU profile of the app under the lookup load (10^5 streams, c${CONNECTIONS}, ${seconds} s)`);
  const { url, db, keysFile } = await lookupDatabase(ctx, 'profile', 100_000, 100_000);
  const profDir = join(ctx.dir, 'cpu-profile');
  const ingestSecret = secret();
  const app = await startApp(ctx, 'profile-app', url, { INGEST_SECRET: ingestSecret }, ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  try {
    const script = await ctx.wrk.script('lookup', LOOKUP_LUA);
    const env = { BENCH_SECRET: ingestSecret, BENCH_KEYS: keysFile };
    await ctx.wrk.run(app, { script, connections: CONNECTIONS, seconds: 2, env });
    const from = Number(process.hrtime.bigint() / 1000n);
    const run = await ctx.wrk.run(app, { script, connections: CONNECTIONS, seconds, env });
    const to = Number(process.hrtime.bigint() / 1000n);
    const code = await app.stop();
    if (code !== 0) throw new Error(`the profiled app exited with ${code}, not 0: no profile written`);
    const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${profDir}`);
    log(`\n## CPU profile: GET /api/v1/ingest/keys/:key, ${Math.round(run.rps)} req/s under the profiler, ${run.errors} errors`);
    // The measured load only (the profile also holds the start-up and the warm-up).
    log(await summarizeProfile(join(profDir, file), 25, [from, to]));
    ctx.raw.profile = { run };
  } finally {
    await app.stop();
    await db.end();
    await ctx.db.drop(url);
  }
}

// ----------------------------------------------------------------

async function main(): Promise<void> {
  assertWrk();
  const dir = await mkdtemp(join(tmpdir(), 'streamly-bench-'));
  await chmod(dir, 0o755);
  let db: DatabaseServer | undefined;
  installCleanup(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const started = new Date();
  try {
    db = await DatabaseServer.open(dir);
    const ctx: Context = { dir, db, wrk: new Wrk(dir), report: new Report(), raw: {} };
    const header =
      `# Streamly benchmarks ${started.toISOString()}  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${db.description}; ${ROUNDS} rounds × ${SECONDS} s per server${QUICK ? ' (--quick)' : ''}`;
    log(header);
    if (flag('profile')) return await profileApp(ctx);
    const groups: Record<Group, (c: Context) => Promise<void>> = { lookup, nginx, live, coldstart, scale, login };
    for (const group of GROUPS) {
      if (!selected(group)) continue;
      const t = Date.now();
      try {
        await groups[group](ctx);
      } catch (error) {
        ctx.report.verdicts.push({ target: `${group}: benchmark failed`, pass: false, detail: (error as Error).message.split('\n')[0] });
        process.stderr.write(`${group} failed: ${(error as Error).stack}\n`);
      }
      progress(`${group} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    }
    log(
      `\n## Results (load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})\n`,
    );
    log(ctx.report.render());
    const resultsDir = join(ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const file = join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(
      file,
      `${JSON.stringify({ header, seconds: SECONDS, rounds: ROUNDS, quick: QUICK, rows: ctx.report.rows, verdicts: ctx.report.verdicts, notes: ctx.report.notes, raw: ctx.raw }, null, 2)}\n`,
    );
    log(`\nraw results: ${file}`);
    if (ctx.report.verdicts.some((v) => !v.pass)) process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  await cleanupAll();
  process.exitCode = 2;
});
