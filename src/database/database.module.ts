import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions as PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { connectWithRetry } from './connect-with-retry.js';
import { describeDatabaseUrl } from './database-errors.js';
import { databaseOptions } from './database.options.js';
import { runMigrationsLocked } from './migrate.js';
import { ReadReplica } from './read-replica.service.js';
import { Sweeper } from './sweeper.service.js';

const logger = new Logger('Database');

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: async (config: ResolvedConfig) => {
        const target = describeDatabaseUrl(config.databaseUrl);
        if (config.migrationsRun) await connectWithRetry(target, () => runMigrationsLocked(databaseOptions(config)));
        const replicaUrls = await reachableReplicas(config);
        // Retries are ours (connectWithRetry): TypeORM's would log a misleading "Retrying" error with a stack.
        return { ...databaseOptions({ ...config, replicaUrls }), retryAttempts: 0, toRetry: () => false };
      },
      dataSourceFactory: (options) => {
        const postgres = options as PostgresConnectionOptions;
        const primaryUrl = String(postgres.replication?.master.url ?? postgres.url);
        return connectWithRetry(describeDatabaseUrl(primaryUrl), () => new DataSource(options!).initialize());
      },
    }),
  ],
  providers: [ReadReplica, Sweeper],
  exports: [ReadReplica, Sweeper],
})
export class DatabaseModule {}

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
