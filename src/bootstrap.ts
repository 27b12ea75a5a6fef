import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { type AppConfig, type ResolvedConfig } from './config/app-config.js';
import { devSecret } from './config/dev-secrets.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';

/**
 * Fills in what the environment left out, outside production only: an embedded
 * PostgreSQL when DATABASE_URL is unset, and secrets generated once into the data
 * directory. Logs where things live, never the secret values.
 */
export async function resolveConfig(
  config: AppConfig,
  logger = new Logger('Bootstrap'),
): Promise<{ config: ResolvedConfig; embedded?: EmbeddedDatabase }> {
  const { databaseUrl, embedded } = await resolveDatabase(config, logger);
  const jwtSecret = config.jwtSecret ?? (await generated(config.dataDir, 'jwt-secret', 'JWT_SECRET', logger));
  const ingestSecret = config.ingestSecret ?? (await generated(config.dataDir, 'ingest-secret', 'INGEST_SECRET', logger));
  return { config: { ...config, databaseUrl, jwtSecret, ingestSecret }, embedded };
}

/** DATABASE_URL, or an embedded PostgreSQL when it is unset; for tools that need no secrets (TypeORM CLI). */
export async function resolveDatabase(
  config: AppConfig,
  logger = new Logger('Bootstrap'),
): Promise<{ databaseUrl: string; embedded?: EmbeddedDatabase }> {
  if (config.databaseUrl) return { databaseUrl: config.databaseUrl };
  const dataDir = join(config.dataDir, 'postgres');
  logger.log(`DATABASE_URL is not set: starting an embedded PostgreSQL 15 with its data in ${dataDir}`);
  // Loaded only here: a start with DATABASE_URL (production) never needs it.
  const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
  const embedded = await startEmbeddedPostgres({
    dataDir,
    persistent: true,
    log: (line) => logger.debug?.(line),
    // Without its database the process cannot work: say so in one line and stop, as a failed start does.
    onUnexpectedExit: (message) => {
      logger.error(message);
      process.exit(1);
    },
  });
  logger.log(
    `Embedded PostgreSQL is listening on ${new URL(embedded.url).host}; set DATABASE_URL=postgres://user:password@host:5432/db to use your own server instead`,
  );
  return { databaseUrl: embedded.url, embedded };
}

async function generated(dataDir: string, file: string, variable: string, logger: Logger): Promise<string> {
  const secret = await devSecret(dataDir, file);
  logger.log(`${variable} is not set: using the development secret kept in ${secret.file}`);
  return secret.value;
}
