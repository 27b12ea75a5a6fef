import { type DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { connectWithRetry } from './connect-with-retry.js';
import { describeDatabaseUrl } from './database-errors.js';
import { databaseOptions, type DatabaseSchema } from './database.options.js';
import { runMigrationsLocked } from './migrate.js';
import { ReadReplica } from './read-replica.service.js';
import { Sql } from './sql.js';
import { Sweeper } from './sweeper.service.js';

const logger = new Logger('Database');

/**
 * The one DataSource (primary plus replicas), migrated at startup under an advisory
 * lock. Features hand in their entities and migrations (`src/app.schema.ts`).
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(schema: DatabaseSchema): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: async (config: ResolvedConfig) => {
            const target = describeDatabaseUrl(config.databaseUrl);
            if (config.migrationsRun) await connectWithRetry(target, () => runMigrationsLocked(databaseOptions(config, schema)));
            const replicaUrls = await reachableReplicas(config);
            // Retries are ours (connectWithRetry): TypeORM's would log a misleading "Retrying" error with a stack.
            return { ...databaseOptions({ ...config, replicaUrls }, schema), retryAttempts: 0, toRetry: () => false };
          },
          dataSourceFactory: (options) => {
            const postgres = options as PostgresConnectionOptions;
            const primaryUrl = String(postgres.replication?.master.url ?? postgres.url);
            return connectWithRetry(describeDatabaseUrl(primaryUrl), () => new DataSource(options!).initialize());
          },
        }),
      ],
      providers: [ReadReplica, Sweeper, Sql],
      exports: [ReadReplica, Sweeper, Sql],
    };
  }
}

/**
 * TypeORM opens every replica pool at startup and fails the whole start if one
 * replica is down. A replica that does not answer now is left out (until the next
 * restart) so the service starts on the primary and the remaining replicas.
 */
async function reachableReplicas(config: ResolvedConfig): Promise<string[]> {
  const reachable: string[] = [];
  for (const url of config.replicaUrls) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: config.dbConnectTimeoutMs });
    client.on('error', () => undefined); // a probe connection dying late must not crash the process
    try {
      await client.connect();
      reachable.push(url);
    } catch (error) {
      logger.warn(
        `Read replica ${describeDatabaseUrl(url)} is not reachable at startup (${(error as Error).message}); ` +
          'starting without it: its reads go to the other replicas or the primary until the next restart',
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return reachable;
}
