// `npm run build && node bench/ops-overhead.mjs`: what the operations layer (helmet headers,
// X-Request-Id, the per-request pino log line, the Prometheus histogram) costs per request.
// GET /health/live (no database work) on the real app, with LOG_LEVEL=info (stdout to
// /dev/null) and LOG_LEVEL=silent, against a floor: bare Fastify answering the same JSON.
// Same run, alternating rounds; ratios are app / floor. Needs wrk and a PostgreSQL
// (DATABASE_URL, default: the machine's embedded one is started by the app itself).
// Environment: BENCH_SECONDS (default 10), BENCH_ROUNDS (default 2), DATABASE_URL.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const children = new Set();

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function waitUntilUp(url) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function start(name, args, env) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  await waitUntilUp(`http://127.0.0.1:${port}/health/live`);
  return { name, url: `http://127.0.0.1:${port}/health/live`, stop: () => child.kill('SIGKILL') };
}

function wrk(url) {
  const out = spawnSync('wrk', ['-t2', '-c32', `-d${SECONDS}s`, '--latency', url], { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]] : NaN;
  return { rps, p99ms };
}

const floorSource = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/health/live', async () => ({ status: 'ok', info: {}, error: {}, details: {} }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });`;

async function main() {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install wrk)');
  const common = {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    INGEST_SECRET: randomBytes(32).toString('hex'),
    DATA_DIR: join(tmpdir(), 'streamly-ops-bench'),
    MIGRATIONS_RUN: 'true',
  };
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL (NODE_ENV=production needs a real database)');
  const servers = [
    await start('floor (bare Fastify)', ['--input-type=module', '-e', floorSource], {}),
    await start('app, LOG_LEVEL=info', ['dist/src/main.js'], { ...common, LOG_LEVEL: 'info' }),
    await start('app, LOG_LEVEL=silent', ['dist/src/main.js'], { ...common, LOG_LEVEL: 'silent' }),
  ];
  const results = new Map(servers.map((s) => [s.name, []]));
  for (const server of servers) wrk(server.url); // warm-up, discarded
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 ? [...servers].reverse() : servers) results.get(server.name).push(wrk(server.url));
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const floor = mean(results.get(servers[0].name).map((r) => r.rps));
  console.log(`GET /health/live, wrk -t2 -c32 -d${SECONDS}s, ${ROUNDS} rounds`);
  for (const [name, runs] of results) {
    const rps = mean(runs.map((r) => r.rps));
    console.log(
      `${name.padEnd(24)} ${rps.toFixed(0).padStart(7)} req/s  p99 ${mean(runs.map((r) => r.p99ms)).toFixed(2)} ms  ratio to floor ${(rps / floor).toFixed(2)}`,
    );
  }
  for (const server of servers) server.stop();
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGKILL');
  });
