import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';

/** Arbitrary but fixed: every instance of this service contends for the same lock. */
export const MIGRATION_LOCK_KEY = 7_312_001_337;

/**
 * Applies pending migrations exactly once even when several instances start
 * together: TypeORM takes no lock, so we hold a session advisory lock around it.
 * Runs on its own short-lived connections without the app's statement timeout,
 * so a long index build is not cancelled halfway. Needs a direct connection to
 * the primary (session advisory locks do not survive PgBouncer transaction mode).
 */
export async function runMigrationsLocked(options: DataSourceOptions, logger = new Logger('Migrations')): Promise<string[]> {
  const pgOptions = options as PostgresConnectionOptions;
  const masterUrl: unknown = pgOptions.replication?.master.url;
  const primary: PostgresConnectionOptions = {
    ...pgOptions,
    replication: undefined,
    url: pgOptions.replication ? (typeof masterUrl === 'string' ? masterUrl : undefined) : pgOptions.url,
    // `extra` is pg's pool options, typed `any` by TypeORM.
    extra: { ...(pgOptions.extra as Record<string, unknown> | undefined), max: 2, statement_timeout: 0, query_timeout: undefined },
  };
  if (await everyMigrationRecorded(primary)) return [];
  const dataSource = new DataSource(primary);
  await dataSource.initialize();
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.connect();
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const migration of applied) logger.log(`Applied migration ${migration.name}`);
      return applied.map((migration) => migration.name);
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lockRunner.release();
    await dataSource.destroy();
  }
}

/**
 * True when the migrations table already names every migration of `options`: the usual
 * start, answered by one query instead of a second DataSource, its metadata and the lock
 * (~50 ms of a cold start). Anything else (no table yet, a migration missing, another
 * instance applying one right now, any error) takes the locked path, which decides.
 */
async function everyMigrationRecorded(options: PostgresConnectionOptions): Promise<boolean> {
  const list: unknown[] = Array.isArray(options.migrations) ? options.migrations : Object.values(options.migrations ?? {});
  const names: string[] = [];
  for (const migration of list) {
    // Paths and globs are TypeORM's to load: the locked path.
    if (typeof migration !== 'function') return false;
    // TypeORM's own rule: the instance's `name`, else the class name.
    const instance = new (migration as new () => { name?: string })();
    names.push(instance.name ?? migration.name);
  }
  if (names.length === 0) return false;
  const extra = options.extra as pg.ClientConfig | undefined;
  const client = new pg.Client({ ...extra, connectionString: options.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const table = options.migrationsTableName ?? 'migrations';
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM "${table}"`);
    const recorded = new Set(rows.map((row) => row.name));
    return names.every((name) => recorded.has(name));
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
