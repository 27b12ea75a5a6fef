import type { DataSourceOptions } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

export type DatabaseConfig = Pick<
  AppConfig,
  'replicaUrls' | 'dbPoolMax' | 'dbConnectTimeoutMs' | 'dbStatementTimeoutMs'
> & { databaseUrl: string };

/**
 * The one set of DataSource options, used by the Nest app and by `ormconfig.ts`
 * (TypeORM CLI). Schema changes happen only through migrations.
 */
export function databaseOptions(config: DatabaseConfig): DataSourceOptions {
  const pool = {
    max: config.dbPoolMax,
    // pg waits forever for a slot or a connection unless told otherwise.
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    // Server-side limit; cancels the statement and keeps the connection healthy.
    statement_timeout: config.dbStatementTimeoutMs,
    // Client-side limit: the only one that fires when the server is frozen or unreachable.
    query_timeout: config.dbStatementTimeoutMs + 1000,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: 'streamly-api',
  };
  const base: PostgresConnectionOptions = {
    type: 'postgres',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false, // run by runMigrationsLocked() under an advisory lock
    uuidExtension: 'pgcrypto', // gen_random_uuid() is built into PostgreSQL 13+
    logging: false,
    extra: pool,
  };
  if (config.replicaUrls.length === 0) return { ...base, url: config.databaseUrl };
  return {
    ...base,
    replication: {
      master: { url: config.databaseUrl },
      slaves: config.replicaUrls.map((url) => ({ url })),
    },
  };
}
