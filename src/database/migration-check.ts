import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { databaseOptions } from './database.options.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/**
 * Applies every migration to a scratch database and asks TypeORM what it would
 * still change to match the entities. Returns those statements: empty means the
 * migrations and the entities agree.
 */
export async function pendingSchemaChanges(serverUrl: string): Promise<string[]> {
  const name = `migration_check_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataSource = new DataSource(
    databaseOptions({ databaseUrl: url.toString(), replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 60_000 }),
  );
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return sql.upQueries.map((query) => query.query);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** `npm run migration:check`: exits 1 and prints the SQL when entities and migrations disagree. */
async function main(): Promise<void> {
  const logger = new Logger('MigrationCheck');
  const config = loadConfig(process.env, { secrets: false });
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: `${config.dataDir}/migration-check-${process.pid}`, persistent: false });
  try {
    const changes = await pendingSchemaChanges(config.databaseUrl ?? embedded!.url);
    if (changes.length > 0) {
      logger.error(`Entities and migrations disagree; a new migration needs:\n${changes.join(';\n')};`);
      process.exitCode = 1;
    } else {
      logger.log('Entities and migrations agree.');
    }
  } finally {
    await embedded?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    new Logger('MigrationCheck').error((error as Error).stack ?? String(error));
    process.exit(1);
  });
}
