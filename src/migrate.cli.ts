import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { APP_SCHEMA } from './app.schema.js';
import { loadConfig } from './config/app-config.js';
import { connectWithRetry } from './database/connect-with-retry.js';
import { describeDatabaseUrl } from './database/database-errors.js';
import { databaseOptions } from './database/database.options.js';
import { runMigrationsLocked } from './database/migrate.js';
import { installLogger } from './logging/logging.options.js';

/**
 * `npm run migration:run:locked` / `node dist/src/migrate.cli.js`: applies
 * pending migrations under the same advisory lock as the app, then exits (0 done,
 * 1 failed). For a deploy step such as the Kubernetes Job, with MIGRATIONS_RUN=false
 * on the app. DATABASE_URL must reach PostgreSQL directly, not through PgBouncer.
 */
async function main(): Promise<void> {
  // Least privilege: the migration Job holds database credentials only, never JWT or ingest secrets.
  const config = loadConfig({ ...process.env, MIGRATIONS_RUN: 'false' }, { secrets: false });
  installLogger(config);
  const logger = new Logger('Migrations');
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required to run migrations');
  if (config.dbPgBouncer)
    throw new Error('DB_PGBOUNCER=true: migrations need DATABASE_URL to reach PostgreSQL directly (session advisory lock)');
  const target = describeDatabaseUrl(config.databaseUrl);
  const applied = await connectWithRetry(target, () =>
    runMigrationsLocked(databaseOptions({ ...config, databaseUrl: config.databaseUrl!, replicaUrls: [] }, APP_SCHEMA), logger),
  );
  logger.log(applied.length > 0 ? `Applied ${applied.length} migration(s) to ${target}` : `No pending migrations on ${target}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    new Logger('Migrations').error(`Migrations failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  },
);
