import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { AppModule } from './app.module.js';
import { configureApp, createFastifyAdapter, FASTIFY_ROUTES } from './app.setup.js';
import { loadConfig, type ResolvedConfig } from './config/app-config.js';
import { createApiDocument } from './docs/api-docs.js';

/**
 * Writes the OpenAPI document that /docs-json serves, without a database: Nest's preview
 * mode builds the module graph (every controller and route) but instantiates no provider,
 * so nothing connects. Usage: `node dist/src/openapi.cli.js [output.json]` (default stdout).
 */
async function main(): Promise<void> {
  // Placeholders that only satisfy the configuration's validation; nothing uses them in preview mode.
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    JWT_SECRET: 'preview-mode-placeholder-secret-0000000000',
    INGEST_SECRET: 'preview-mode-placeholder-secret-0000000000',
    LOG_LEVEL: 'silent',
  }) as ResolvedConfig;
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  configureApp(app, config);
  const json = `${JSON.stringify(createApiDocument(app, FASTIFY_ROUTES), null, 2)}\n`;
  const output = process.argv[2];
  if (output) writeFileSync(output, json);
  else process.stdout.write(json);
}

main().then(
  () => process.exit(0), // preview mode leaves nothing to close; do not wait on stray handles
  (error: unknown) => {
    console.error(`OpenAPI document failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  },
);
