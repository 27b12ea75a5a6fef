import { randomBytes } from 'node:crypto';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createFastifyAdapter } from '../../src/app.setup.js';
import { loadConfig, type ResolvedConfig } from '../../src/config/app-config.js';
import { createDatabase } from './database.js';

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
  /** Test-only controllers mounted beside the app's own (e.g. to provoke a database error). */
  controllers?: Type[];
}

/**
 * Starts the real app — AppModule with its global pipes/filters, the Fastify
 * adapter, migrations — on a fresh database of its own (unless env names one).
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const env = options.env ?? {};
  const database = env.DATABASE_URL ? undefined : await createDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    JWT_SECRET: randomBytes(32).toString('hex'),
    INGEST_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
    ...env,
    ...(database ? { DATABASE_URL: database.url } : {}),
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
