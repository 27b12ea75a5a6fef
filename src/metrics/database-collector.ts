import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { replicaName } from '../database/read-replica.service.js';
import { DatabaseGauges } from './database-gauges.js';
import { DATABASE_STATS_SQL, REPLICA_LAG_SQL, type DatabaseStatsRow, type ReplicaLagRow } from './database-stats.query.js';
import { MetricsService } from './metrics.service.js';
import { PLATFORM_COUNTS_SQL, type PlatformCountsRow } from './platform-counts.query.js';

/** Database-derived gauges are refreshed this often, whatever the scrape interval. */
export const COLLECT_INTERVAL_MS = 15_000;
/** Per connection attempt and per query: a hung server costs a collection ~1 s, never a scrape. */
export const COLLECT_DEADLINE_MS = 1000;

interface Target {
  source: string;
  pool: pg.Pool;
}

/**
 * Fills the database-derived gauges in the background, every 15 s, on connections of
 * its own (one per server, `application_name` streamly-metrics), so a slow or hung
 * database never holds a request's pool connection and `/metrics` only reads memory.
 * A source that fails (down, hung, over its deadline) reads `streamly_db_collector_up 0`
 * and its gauges disappear until it answers again.
 */
@Injectable()
export class DatabaseCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly gauges: DatabaseGauges;
  private primary: Target | undefined;
  private replicas: Target[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly failing = new Set<string>();

  constructor(
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.gauges = new DatabaseGauges(metrics.registry);
  }

  onApplicationBootstrap(): void {
    this.primary = { source: 'database', pool: this.pool(this.config.databaseUrl) };
    // Every configured replica, also one left out at startup: its lag still matters.
    this.replicas = this.config.replicaUrls.map((url) => ({ source: `replica:${replicaName(url)}`, pool: this.pool(url) }));
    const collect = () => void this.refresh().catch((error: Error) => this.logger.error(`Metrics collection failed: ${error.message}`));
    collect();
    this.timer = setInterval(collect, COLLECT_INTERVAL_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await Promise.all(
      [this.primary, ...this.replicas]
        .map((target) => (target ? target.pool.end().catch(() => undefined) : undefined))
        .filter((ending) => ending !== undefined),
    );
  }

  /** One collection (joins the one in progress). Public so tests need not wait 15 s. */
  refresh(): Promise<void> {
    this.running ??= this.collect().finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(): Promise<void> {
    if (!this.primary) return;
    const { pool } = this.primary;
    const tables = [...this.dataSource.entityMetadatas.map((entity) => entity.tableName), this.migrationsTable()];
    const stats = await this.run(
      'database',
      async () => (await pool.query<DatabaseStatsRow>(DATABASE_STATS_SQL, [tables])).rows[0],
      (row) => this.gauges.setDatabase(row),
      () => this.gauges.clearDatabase(),
    );
    if (stats) {
      await this.run(
        'platform',
        async () => (await pool.query<PlatformCountsRow>(PLATFORM_COUNTS_SQL)).rows[0],
        (row) => this.gauges.setPlatform(row),
        () => this.gauges.clearPlatform(),
      );
    } else {
      // The primary did not answer: no second 1 s wait for the same answer.
      this.gauges.result('platform', false, 0);
      this.gauges.clearPlatform();
    }
    const primaryLsn = stats?.lsn ?? null;
    await Promise.all(
      this.replicas.map(({ source, pool: replicaPool }) =>
        this.run(
          source,
          async () => (await replicaPool.query<ReplicaLagRow>(REPLICA_LAG_SQL, [primaryLsn])).rows[0],
          (row) => this.gauges.setReplica(source.slice('replica:'.length), row),
          () => this.gauges.clearReplica(source.slice('replica:'.length)),
        ),
      ),
    );
  }

  /** Runs one source's query; records up/duration, sets or clears its gauges; logs only changes. */
  private async run<T>(source: string, query: () => Promise<T>, apply: (row: T) => void, clear: () => void): Promise<T | undefined> {
    const started = performance.now();
    try {
      const row = await query();
      apply(row);
      this.gauges.result(source, true, (performance.now() - started) / 1000);
      if (this.failing.delete(source)) this.logger.log(`Metrics from ${source} are collected again`);
      return row;
    } catch (error) {
      clear();
      this.gauges.result(source, false, (performance.now() - started) / 1000);
      if (!this.failing.has(source)) {
        this.failing.add(source);
        this.logger.warn(
          `Metrics from ${source} not collected (${(error as Error).message}); streamly_db_collector_up{source="${source}"} is 0`,
        );
      }
      return undefined;
    }
  }

  /**
   * A small pool per server with the app's connection settings (client class, type
   * parsers, keep-alive), one connection, and 1 s deadlines on connecting and on each
   * query (client-side too: a frozen server never answers a server-side timeout).
   * pool.query() discards a connection whose query failed.
   */
  private pool(url: string): pg.Pool {
    const extra = ((this.dataSource.options as PostgresDataSourceOptions).extra ?? {}) as Record<string, unknown>;
    const pool = new pg.Pool({
      ...extra,
      connectionString: url,
      max: 1,
      connectionTimeoutMillis: COLLECT_DEADLINE_MS,
      query_timeout: COLLECT_DEADLINE_MS,
      // Only where the app sends it (not through PgBouncer, which rejects it as a startup parameter).
      ...('statement_timeout' in extra ? { statement_timeout: COLLECT_DEADLINE_MS } : {}),
      idleTimeoutMillis: 2 * COLLECT_INTERVAL_MS,
      application_name: 'streamly-metrics',
    });
    // An idle connection lost (restart, network): the next collection opens a new one.
    pool.on('error', () => undefined);
    return pool;
  }

  private migrationsTable(): string {
    return this.dataSource.options.migrationsTableName ?? 'migrations';
  }
}
