import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { postgresPools, primaryPool, statement } from './sql.js';

/** After a replica fails, reads go to the primary for this long before replicas are tried again. */
const REPLICA_RETRY_AFTER_MS = 5000;

/**
 * Raw read queries for paths that tolerate replica lag (the ingest key lookup, public
 * profiles). Runs on a replica when DATABASE_REPLICA_URLS names reachable ones, else on
 * the primary; a replica that cannot serve (down, restarting, timed out) sends reads to
 * the primary for a few seconds, so one replica outage is never an API outage.
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
  private replicasUnusableUntil = 0;
  private next = 0;

  private readonly prepared: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: ResolvedConfig,
  ) {
    this.prepared = !config.dbPgBouncer;
  }

  /** True when replica pools exist (configured and reachable at startup). */
  get hasReplicas(): boolean {
    return postgresPools(this.dataSource).replicas.length > 0;
  }

  /** `name` labels the statement as in Sql.query. */
  async query<T extends pg.QueryResultRow = Record<string, unknown>>(name: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
    const query = statement(name, sql, parameters, this.prepared);
    const master = primaryPool(this.dataSource);
    const { replicas } = postgresPools(this.dataSource);
    if (replicas.length === 0 || Date.now() < this.replicasUnusableUntil) return (await master.query<T>(query)).rows;
    const replica = replicas[this.next++ % replicas.length];
    try {
      return (await replica.query<T>(query)).rows;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.replicasUnusableUntil = Date.now() + REPLICA_RETRY_AFTER_MS;
      this.logger.warn(`Read replica unavailable (${(error as Error).message}); reading from the primary for ${REPLICA_RETRY_AFTER_MS / 1000} s`);
      return (await master.query<T>(query)).rows;
    }
  }
}
