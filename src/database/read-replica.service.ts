import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';

/** After a replica fails, reads go to the primary for this long before replicas are tried again. */
const REPLICA_RETRY_AFTER_MS = 5000;

/**
 * Raw read queries for paths that tolerate replica lag (the ingest key lookup, public
 * profiles). Runs on a replica when DATABASE_REPLICA_URLS names reachable ones, else on
 * the primary; a replica that cannot serve (down, restarting, timed out) sends reads to
 * the primary for a few seconds, so one replica outage is never an API outage.
 *
 * Everything else (writes, and reads that must see the request's own or a just-made
 * write) goes through repositories, which use the primary (replication `defaultMode`).
 */
@Injectable()
export class ReadReplica {
  private readonly logger = new Logger('ReadReplica');
  private replicasUnusableUntil = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** True when replica pools exist (configured and reachable at startup). */
  get hasReplicas(): boolean {
    return this.dataSource.driver.isReplicated;
  }

  async query<T = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.hasReplicas || Date.now() < this.replicasUnusableUntil) return this.dataSource.query(sql, parameters);
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      return await runner.query(sql, parameters);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.replicasUnusableUntil = Date.now() + REPLICA_RETRY_AFTER_MS;
      this.logger.warn(`Read replica unavailable (${(error as Error).message}); reading from the primary for ${REPLICA_RETRY_AFTER_MS / 1000} s`);
      return this.dataSource.query(sql, parameters);
    } finally {
      await runner.release();
    }
  }
}
