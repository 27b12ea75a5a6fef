import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { Sql } from '../database/sql.js';

/** Connections of the delivery worker's own pool (plus one for LISTEN), on top of DB_POOL_MAX. */
export const WORKER_POOL_SIZE = 3;

/**
 * `Sql` on a small pool of the worker's own, opened with the primary pool's options
 * (UTC client, timeouts, statement timeout): fan-out, claims, completions and the
 * backlog gauges never take a connection an API request is waiting for, and a burst
 * of completions cannot exhaust DB_POOL_MAX. Closed by the worker once it has drained.
 */
@Injectable()
export class WorkerSql extends Sql {
  private own: pg.Pool | undefined;
  private closed = false;

  override get pool(): pg.Pool {
    if (this.closed) throw new Error('the webhook worker pool is closed');
    if (!this.own) {
      const primary = super.pool as pg.Pool & { options: pg.PoolConfig };
      this.own = new pg.Pool({ ...primary.options, max: WORKER_POOL_SIZE });
      // A restart of PostgreSQL must not kill the process: idle clients' errors reach the pool's
      // listener; and pool.query() guards a busy client with `once('error')`, while a connection
      // killed mid-query can emit twice. Queries still get their errors; dead clients are dropped.
      this.own.on('error', () => undefined);
      this.own.on('connect', (client) => client.on('error', () => undefined));
    }
    return this.own;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.own?.end();
  }
}
