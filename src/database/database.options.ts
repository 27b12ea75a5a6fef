import { Logger } from '@nestjs/common';
import type { DataSourceOptions } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { AppConfig } from '../config/app-config.js';
// Times every TypeORM statement into streamly_db_statement_duration_seconds (statement-timing.ts).
import { StatementTimingSubscriber } from './statement-timing.subscriber.js';
import { DiscardTimedOutConnectionsSubscriber } from './discard-timed-out-connections.subscriber.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';

export type DatabaseConfig = Pick<AppConfig, 'replicaUrls' | 'dbPoolMax' | 'dbConnectTimeoutMs' | 'dbStatementTimeoutMs'> &
  Partial<Pick<AppConfig, 'dbPgBouncer'>> & { databaseUrl: string };

const poolLogger = new Logger('Database');

/**
 * The one set of DataSource options, used by the Nest app and by `ormconfig.ts`
 * (TypeORM CLI). Schema changes happen only through migrations.
 */
export function databaseOptions(config: DatabaseConfig): DataSourceOptions {
  const pool = {
    max: config.dbPoolMax,
    // pg waits forever for a slot or a connection unless told otherwise.
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    // Server-side limit; cancels the statement and keeps the connection healthy. Sent as a
    // startup parameter, which PgBouncer rejects: behind it, set it on the role instead
    // (ALTER ROLE ... SET statement_timeout), see docs/operations.md.
    ...(config.dbPgBouncer ? {} : { statement_timeout: config.dbStatementTimeoutMs }),
    // Client-side limit: the only one that fires when the server is frozen or unreachable.
    // The connection it fired on is then discarded (DiscardTimedOutConnectionsSubscriber).
    query_timeout: config.dbStatementTimeoutMs + 1000,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: 'streamly-api',
  };
  const base: PostgresConnectionOptions = {
    type: 'postgres',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    subscribers: [DiscardTimedOutConnectionsSubscriber, StatementTimingSubscriber],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false, // run by runMigrationsLocked() under an advisory lock
    uuidExtension: 'pgcrypto', // gen_random_uuid() is built into PostgreSQL 13+
    logging: false,
    // An idle pooled connection lost (server restart, network): pg-pool drops it and opens a new one on demand.
    poolErrorHandler: (error: Error) => poolLogger.warn(`Idle database connection lost: ${error.message}`),
    extra: pool,
  };
  if (config.replicaUrls.length === 0) return { ...base, url: config.databaseUrl };
  return {
    ...base,
    replication: {
      master: { url: config.databaseUrl },
      slaves: config.replicaUrls.map((url) => ({ url })),
      // Repositories and query builders read from the primary, so a feature always sees its own
      // writes; replicas serve only the reads that ask for them explicitly (ReadReplica).
      defaultMode: 'master',
    },
  };
}
