import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { postgresPools, primaryPool, statement, usesPreparedStatements } from './sql.js';
import { boundedStatementName, timeStatement } from './statement-timing.js';

/** After a replica fails, its reads go elsewhere for this long before it is tried again. */
const REPLICA_RETRY_AFTER_MS = 5000;

/** A configured replica as the app sees it, for metrics: `inUse` is false while it is skipped. */
export interface ReplicaState {
  /** `host:port` from its URL (never the user or password). */
  name: string;
  /** Left out at startup (not reachable then): no pool until the next restart. */
  leftOut: boolean;
  inUse: boolean;
}

/** How metrics and logs name a replica: `host:port` of its URL, never its credentials. */
export function replicaName(url: string): string {
  return new URL(url).host;
}

/**
 * Raw read queries for paths that tolerate replica lag (the ingest key lookup, public
 * profiles). Runs on a replica when DATABASE_REPLICA_URLS names reachable ones, else on
 * the primary; a replica that cannot serve (down, restarting, timed out) is skipped for
 * a few seconds (that read is retried on the primary, later ones go to the other
 * replicas or the primary), so one replica outage is never an API outage.
 *
 * Straight on the pg pools (same connections, limits and timeouts as TypeORM's): the
 * hot path pays for no QueryRunner, and pool.query() discards a connection that failed.
 *
 * Everything else (writes, and reads that must see the request's own or a just-made
 * write) goes through repositories, which use the primary (replication `defaultMode`).
 */
@Injectable()
export class ReadReplica {
  private readonly logger = new Logger('ReadReplica');
  private readonly unusableUntil = new Map<pg.Pool, number>();
  private next = 0;

  private readonly prepared: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {
    this.prepared = usesPreparedStatements(config);
  }

  /** True when replica pools exist (configured and reachable at startup). */
  get hasReplicas(): boolean {
    return postgresPools(this.dataSource).replicas.length > 0;
  }

  /**
   * `name` labels the statement as in Sql.query (its duration, replica or primary, a
   * fallback included, under that name if STATEMENT_NAMES lists it, else `other`).
   */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(name: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
    return timeStatement(this.dataSource, boundedStatementName(name), () => this.read<T>(statement(name, sql, parameters, this.prepared)));
  }

  /** Every configured replica, in configuration order. */
  replicaStates(): ReplicaState[] {
    const pools = this.replicaPools();
    const now = Date.now();
    return this.config.replicaUrls.map((url) => {
      const pool = pools.get(url);
      return { name: replicaName(url), leftOut: pool === undefined, inUse: pool !== undefined && !this.skipped(pool, now) };
    });
  }

  private async read<T extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<T[]> {
    const master = primaryPool(this.dataSource);
    const now = Date.now();
    const usable = postgresPools(this.dataSource).replicas.filter((pool) => !this.skipped(pool, now));
    if (usable.length === 0) return (await master.query<T>(query)).rows;
    const replica = usable[this.next++ % usable.length];
    try {
      return (await replica.query<T>(query)).rows;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.unusableUntil.set(replica, Date.now() + REPLICA_RETRY_AFTER_MS);
      this.logger.warn(
        `Read replica unavailable (${(error as Error).message}); its reads go elsewhere for ${REPLICA_RETRY_AFTER_MS / 1000} s`,
      );
      return (await master.query<T>(query)).rows;
    }
  }

  private skipped(pool: pg.Pool, now: number): boolean {
    return (this.unusableUntil.get(pool) ?? 0) > now;
  }

  /** Replica URL → its pool; TypeORM keeps the pools in the order of `replication.slaves`. */
  private replicaPools(): Map<string, pg.Pool> {
    const { replicas } = postgresPools(this.dataSource);
    const slaves = (this.dataSource.options as PostgresDataSourceOptions).replication?.slaves ?? [];
    const pools = new Map<string, pg.Pool>();
    slaves.forEach((slave, index) => {
      if (slave.url && replicas[index]) pools.set(slave.url, replicas[index]);
    });
    return pools;
  }
}
