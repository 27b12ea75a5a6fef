// Login throughput through the real app against the bcrypt floor, measured in the same run.
//
//   npm run bench:login                                  (BCRYPT_COST=12, 5 rounds of 5 s phases)
//   BCRYPT_COST=10 BENCH_SECONDS=10 BENCH_ROUNDS=3 npm run bench:login
//   DATABASE_URL=postgres://... npm run bench:login      (else a throwaway embedded PostgreSQL)
//
// The floor is how many bcrypt.compare() per second this process completes at the
// configured cost with as many calls in flight as the load test has connections, on
// libuv's thread pool: the same pool the app's logins use, since the app runs in this
// process. A login cannot be faster than one comparison, so logins/s ÷ floor says how
// much the rest of the path costs (HTTP, validation, rate-limit upsert, user query,
// JWT, refresh-token insert, serialization). Both are measured the same way (N
// workers looping until a deadline, completions ÷ elapsed), alternating floor and app
// phases so that background load hits both alike; the ratio reported is the median
// of the rounds, each app phase against the mean of the floors around it.
//
// On a shared machine other processes still skew single phases, so the run also
// reports the same ratio per CPU-second (this process's threads plus, with the
// embedded database, PostgreSQL's processes): work per login against work per
// comparison, which background load does not change.
// Plain JS on the build output (`dist/`), like test/global-setup.js.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../dist/src/app.module.js';
import { configureApp, createFastifyAdapter } from '../dist/src/app.setup.js';
import { loadConfig } from '../dist/src/config/app-config.js';
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const concurrency = Number(process.env.BENCH_CONNECTIONS ?? poolSize * 2);
const PASSWORD = 'correct horse battery staple';

async function main() {
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: join(await mkdtemp(join(tmpdir(), 'streamly-bench-')), 'pg'), persistent: false });
  const config = loadConfig({
    NODE_ENV: 'development',
    BCRYPT_COST: '12',
    LOG_LEVEL: 'warn',
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL ?? embedded.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    INGEST_SECRET: randomBytes(32).toString('hex'),
    // The PostgreSQL rate limiter stays on the path (one upsert per login) but never blocks.
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const app = await NestFactory.create(AppModule.forRoot(config), createFastifyAdapter(config), { logger: ['error', 'warn'] });
  configureApp(app, config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const postmasterPid = embedded ? Number((await readFile(join(embedded.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]) : undefined;
  const cpuSeconds = async () =>
    process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 + (await postgresCpuSeconds(postmasterPid));

  try {
    const username = `bench_${randomBytes(4).toString('hex')}`;
    const signUp = await post(`${url}/api/v1/users`, { username, email: `${username}@example.com`, password: PASSWORD });
    if (signUp.status !== 201) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
    const hash = await bcrypt.hash(PASSWORD, config.bcryptCost);
    const compare = async () => {
      if (!(await bcrypt.compare(PASSWORD, hash))) throw new Error('bcrypt.compare failed');
    };
    const login = async () => {
      const res = await post(`${url}/api/v1/auth/login`, { login: username, password: PASSWORD });
      const body = await res.json();
      if (res.status !== 200 || !body.accessToken) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    };
    const measure = (operation, durationSeconds) => phase(operation, durationSeconds, cpuSeconds);

    log(`cost ${config.bcryptCost}, libuv pool ${poolSize}, ${concurrency} in flight, ${rounds} rounds of ${seconds} s phases`);
    await measure(compare, 2); // warm-up
    await measure(login, 2); // warm-up: JIT, database pool
    const floors = [await measure(compare, seconds)];
    const apps = [];
    for (let round = 0; round < rounds; round++) {
      apps.push(await measure(login, seconds));
      floors.push(await measure(compare, seconds));
      const [before, app1, after] = [floors[round], apps[round], floors[round + 1]];
      log(
        `round ${round + 1}: floor ${before.perSecond.toFixed(2)} → app ${app1.perSecond.toFixed(2)} logins/s → floor ${after.perSecond.toFixed(2)} compares/s` +
          ` | per CPU-s: ${before.perCpuSecond.toFixed(2)} → ${app1.perCpuSecond.toFixed(2)} → ${after.perCpuSecond.toFixed(2)}`,
      );
    }
    const ratiosAgainst = (key) => apps.map((a, i) => a[key] / ((floors[i][key] + floors[i + 1][key]) / 2));
    const wall = ratiosAgainst('perSecond');
    const cpu = ratiosAgainst('perCpuSecond');
    const result = {
      benchmark: 'login',
      at: new Date().toISOString(),
      bcryptCost: config.bcryptCost,
      threadPool: poolSize,
      concurrency,
      seconds,
      floorsPerSecond: floors.map((f) => round2(f.perSecond)),
      loginsPerSecond: apps.map((a) => round2(a.perSecond)),
      ratios: wall.map(round3),
      ratio: round3(median(wall)),
      floorsPerCpuSecond: floors.map((f) => round2(f.perCpuSecond)),
      loginsPerCpuSecond: apps.map((a) => round2(a.perCpuSecond)),
      cpuRatios: cpu.map(round3),
      cpuRatio: round3(median(cpu)),
      cpuIncludesPostgres: postmasterPid !== undefined,
      // Other processes on the machine skew single phases; a high load average means a noisy run.
      loadAverage1m: round2(loadavg()[0]),
    };
    log(`median ratio logins/s ÷ bcrypt floor: ${result.ratio} (target ≥ 0.9); per CPU-second: ${result.cpuRatio}`);
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(new URL(`./results/login-${Date.now()}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result));
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

/** Completions per wall-clock second and per CPU-second, with `concurrency` workers looping until the deadline. */
async function phase(operation, durationSeconds, cpuSeconds) {
  const cpuBefore = await cpuSeconds();
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: done / elapsed, perCpuSecond: done / ((await cpuSeconds()) - cpuBefore) };
}

/** CPU time of the postmaster and its backends (children that exited are in its cutime/cstime). */
async function postgresCpuSeconds(postmasterPid) {
  if (postmasterPid === undefined) return 0;
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number);
    if (Number(entry) === postmasterPid) ticks += utime + stime + cutime + cstime;
    else if (ppid === postmasterPid) ticks += utime + stime;
  }
  return ticks / ticksPerSecond;
}

function post(url, body) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
const round2 = (value) => Number(value.toFixed(2));
const round3 = (value) => Number(value.toFixed(3));
const log = (line) => console.error(`[bench:login] ${line}`);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
