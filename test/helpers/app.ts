import { randomBytes } from 'node:crypto';
import type { Logger, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { APP_SCHEMA } from '../../src/app.schema.js';
import { configureApp, createFastifyAdapter } from '../../src/app.setup.js';
import { loadConfig, type ResolvedConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database.options.js';
import { runMigrationsLocked } from '../../src/database/migrate.js';
import { createDatabase, serverUrl } from './database.js';
import { startPgBouncer, type PgBouncer } from './pgbouncer.js';

/**
 * TEST_VIA_PGBOUNCER=1 runs every app that gets a fresh database through PgBouncer in
 * transaction mode (one per test file): migrations straight on the server, as the deploy
 * Job does, then DB_PGBOUNCER=true and MIGRATIONS_RUN=false, as operators run it.
 */
const viaPgBouncer = process.env.TEST_VIA_PGBOUNCER === '1';
let sharedBouncer: Promise<PgBouncer> | undefined;
if (viaPgBouncer) {
  afterAll(async () => {
    await (await sharedBouncer)?.stop();
  });
}

async function throughPgBouncer(database: { url: string; name: string }): Promise<Record<string, string>> {
  const quiet = { log: () => undefined } as unknown as Logger;
  await runMigrationsLocked(
    databaseOptions(
      { databaseUrl: database.url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 60_000 },
      APP_SCHEMA,
    ),
    quiet,
  );
  sharedBouncer ??= startPgBouncer(serverUrl());
  const bouncer = await sharedBouncer;
  return { DATABASE_URL: bouncer.url(database.name), DB_PGBOUNCER: 'true', MIGRATIONS_RUN: 'false' };
}

export interface TestApp {
  app: NestFastifyApplication;
  config: ResolvedConfig;
  /** supertest against the real Fastify server (no network port). */
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables on top of the test defaults (same names operators use). */
  env?: Record<string, string>;
  /** Bind a real TCP port (for clients outside this process, e.g. nginx). */
  listen?: boolean;
  /** Test-only controllers mounted next to the app's own (under /api/v1), e.g. to reach the database. */
  controllers?: Type<unknown>[];
  /** A second instance on another app's database, connected the same way (directly or through PgBouncer). */
  sameDatabaseAs?: TestApp;
}

/**
 * Starts the real app — AppModule with its global pipes/filters, the Fastify
 * adapter, migrations — on a fresh database of its own (unless env names one).
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const shared = options.sameDatabaseAs?.config;
  const env = {
    ...(shared
      ? { DATABASE_URL: shared.databaseUrl, DB_PGBOUNCER: String(shared.dbPgBouncer), MIGRATIONS_RUN: String(shared.migrationsRun) }
      : {}),
    ...options.env,
  };
  const database = env.DATABASE_URL ? undefined : await createDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    JWT_SECRET: randomBytes(32).toString('hex'),
    INGEST_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
    ...env,
    ...(database ? (viaPgBouncer ? await throughPgBouncer(database) : { DATABASE_URL: database.url }) : {}),
  }) as ResolvedConfig;

  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
    logger: process.env.TEST_LOGS ? undefined : false,
  });
  configureApp(app, config);
  if (options.listen) await app.listen({ port: 0, host: '127.0.0.1' });
  else {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }

  return {
    app,
    config,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      await database?.drop();
    },
  };
}

/** Base URL of an app started with `listen: true`. */
export function baseUrl(app: NestFastifyApplication): string {
  const address = app.getHttpServer().address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}
