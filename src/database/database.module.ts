import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { databaseOptions } from './database.options.js';
import { runMigrationsLocked } from './migrate.js';

const logger = new Logger('Database');

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: async (config: ResolvedConfig) => {
        const options = databaseOptions(config);
        const target = describeDatabase(config.databaseUrl);
        if (config.migrationsRun) await connectWithRetry(target, () => runMigrationsLocked(options));
        // Retries are ours: TypeORM's would log the raw error at every attempt.
        return { ...options, retryAttempts: 0 };
      },
      dataSourceFactory: (options) => {
        const pgOptions = options as PostgresDataSourceOptions;
        const target = describeDatabase((pgOptions.replication?.master.url ?? pgOptions.url) as string);
        return connectWithRetry(target, () => new DataSource(pgOptions).initialize());
      },
    }),
  ],
})
export class DatabaseModule {}

/** Startup only: an unreachable database is retried with backoff, then startup fails with a clear message. */
async function connectWithRetry<T>(target: string, connect: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      if (attempt >= attempts) {
        throw new Error(`Database ${target} not reachable after ${attempts} attempts: ${(error as Error).message}`, { cause: error });
      }
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 8000);
      logger.warn(`Database ${target} not reachable (${(error as Error).message}); attempt ${attempt}/${attempts}, retrying in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03'].includes(code) ||
    code.startsWith('08') ||
    /timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)/i.test(message)
  );
}

/** host:port/database, for logs: never the user or password. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
