import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { AppModule } from '../src/app.module.js';
import { configureApp, createFastifyAdapter } from '../src/app.setup.js';
import { resolveConfig } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/app-config.js';
import { Sql } from '../src/database/sql.js';
import { IngestKeysRoute } from '../src/ingest/ingest-keys.route.js';
import { keyLookupHandler } from './floors/fastify-lookup.js';
import { DatabaseServer } from './lib/database.js';
import { median } from './lib/report.js';

/**
 * `npm run bench:path`: the key lookup's handler path alone, in one process, with no HTTP and
 * no database: the app's route handler (secret check, NUL rule, IngestService, the streams
 * repository, Sql with its statement timing, the decision counter) against the Fastify floors'
 * handler, both answering from a stubbed pool.query with the same row. What is left is the
 * JavaScript each runs per lookup, which wrk cannot resolve on a shared host below about 10 µs.
 *
 * Environment: DATABASE_URL (a server for the scratch database the app boots on; default an
 * embedded PostgreSQL 15). BENCH_CALLS (200000) calls per round, BENCH_ROUNDS (7), alternating.
 */
const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP_ROUNDS = 2;
const log = (line: string) => process.stdout.write(`${line}\n`);

const ROW = { streamId: 1, userId: 1, username: 'bench', status: 'active', expiresAt: new Date(Date.now() + 3_600_000), othersLive: 0 };
const stubQuery = () => Promise.resolve({ rows: [ROW], rowCount: 1 });

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'streamly-bench-path-'));
  const db = await DatabaseServer.open(dir);
  let app: NestFastifyApplication | undefined;
  try {
    const secret = randomBytes(32).toString('base64url');
    process.env.INGEST_SECRET = secret; // the floor handler's secret check reads it
    // The app's own resolution (bootstrap.ts), as main.ts does: both secrets and DATABASE_URL are given, so it starts and generates nothing.
    const { config } = await resolveConfig(
      loadConfig({
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: await db.create('path'),
        JWT_SECRET: randomBytes(48).toString('base64'),
        INGEST_SECRET: secret,
      }),
    );
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
      logger: ['error'],
    });
    configureApp(app, config);
    await app.init();

    const pool = app.get(Sql).pool;
    pool.query = stubQuery as unknown as pg.Pool['query'];
    // The route's handler method is private to the app; the bench calls it as Fastify does.
    const route = app.get<IngestKeysRoute, { lookup(request: FastifyRequest): Promise<unknown> }>(IngestKeysRoute);
    const floor = keyLookupHandler({ query: stubQuery } as unknown as pg.Pool);
    const key = randomBytes(32).toString('base64url');
    const headers = { authorization: `Bearer ${secret}` };
    const reply = {
      code: () => ({
        send: () => {
          throw new Error('the floor refused the lookup');
        },
      }),
    };
    const cases: Record<string, () => Promise<unknown>> = {
      app: () => route.lookup({ headers, params: { streamKey: key }, query: {} } as unknown as FastifyRequest),
      floor: () => floor({ headers, params: { key } }, reply),
    };
    for (const [name, run] of Object.entries(cases)) {
      const answer = (await run()) as { streamId?: number };
      if (answer?.streamId !== ROW.streamId) throw new Error(`${name}: unexpected answer ${JSON.stringify(answer)}`);
    }

    const perCall: Record<string, number[]> = { app: [], floor: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 ? ['floor', 'app'] : ['app', 'floor']) {
        const run = cases[name];
        const started = process.hrtime.bigint();
        for (let i = 0; i < CALLS; i++) await run();
        const us = Number(process.hrtime.bigint() - started) / 1000 / CALLS;
        if (round >= WARMUP_ROUNDS) perCall[name].push(us);
      }
    }
    const [a, f] = [median(perCall.app), median(perCall.floor)];
    log(
      `# key lookup handler path, no HTTP, no database (node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)})`,
    );
    log(`# ${CALLS} calls per round, ${ROUNDS - WARMUP_ROUNDS} measured rounds after ${WARMUP_ROUNDS} warm-up, alternating; medians`);
    log(`app handler   ${a.toFixed(2)} µs per lookup  [${perCall.app.map((v) => v.toFixed(2)).join(' ')}]`);
    log(`floor handler ${f.toFixed(2)} µs per lookup  [${perCall.floor.map((v) => v.toFixed(2)).join(' ')}]`);
    log(`the app's handler path costs ${(a - f).toFixed(2)} µs more per lookup (${(a / f).toFixed(2)}×)`);
  } finally {
    await app?.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
