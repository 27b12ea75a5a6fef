import { Logger } from '@nestjs/common';
import type { DataSourceOptions } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { AppConfig } from '../config/app-config.js';
import { DiscardTimedOutConnectionsSubscriber } from './discard-timed-out-connections.subscriber.js';
import { InitialSchema1700000000000 } from './migrations/1700000000000-InitialSchema.js';
import { StatementTimingSubscriber } from './statement-timing.subscriber.js';
import { UtcClient, utcTypes } from './utc-client.js';

export type DatabaseConfig = Pick<AppConfig, 'replicaUrls' | 'dbPoolMax' | 'dbConnectTimeoutMs' | 'dbStatementTimeoutMs'> &
  Partial<Pick<AppConfig, 'dbPgBouncer'>> & { databaseUrl: string };

const poolLogger = new Logger('Database');

/**
 * What features hand to the database layer: their entities and migrations. The layer
 * itself names no feature; `src/app.schema.ts` collects them for the app and the CLIs.
 */
export interface DatabaseSchema {
  // TypeORM's own element type for entity and migration classes.
  entities: (new () => unknown)[];
  migrations: (new () => unknown)[];
}

/**
 * Migration 1 (the original schema, which spans users and streams) first, then every
 * feature's migrations in timestamp order, whichever feature they come from.
 */
function orderedMigrations(schema: DatabaseSchema): (new () => unknown)[] {
  const stamp = (migration: { name: string }) => Number(/\d{13}$/.exec(migration.name)?.[0] ?? 0);
  return [InitialSchema1700000000000, ...[...schema.migrations].sort((a, b) => stamp(a) - stamp(b))];
}

/**
 * The one set of DataSource options, used by the Nest app and by `ormconfig.ts`
 * (TypeORM CLI). Schema changes happen only through migrations.
 */
export function databaseOptions(config: DatabaseConfig, schema: DatabaseSchema): DataSourceOptions {
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
    // TIMESTAMP columns hold UTC whatever the server's or the process's zone (utc-client.ts).
    Client: UtcClient,
    types: utcTypes,
  };
  const base: PostgresConnectionOptions = {
    type: 'postgres',
    entities: schema.entities,
    migrations: orderedMigrations(schema),
    // StatementTimingSubscriber: every TypeORM statement's duration, for /metrics.
    subscribers: [DiscardTimedOutConnectionsSubscriber, StatementTimingSubscriber],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false, // run by runMigrationsLocked() under an advisory lock
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
