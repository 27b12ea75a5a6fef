import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import type { AppConfig, ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { inTransaction } from './in-transaction.js';
import { boundedStatementName, timeStatement } from './statement-timing.js';

/** A pool, or one connection of it inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * The pg pools behind TypeORM's postgres driver: one for the primary, one per replica
 * (same connections, limits and timeouts). The one place that reaches into the driver.
 */
export function postgresPools(dataSource: DataSource): { primary: pg.Pool | undefined; replicas: pg.Pool[] } {
  const driver = dataSource.driver as unknown as { master?: pg.Pool; slaves?: pg.Pool[] };
  return { primary: driver.master, replicas: driver.slaves ?? [] };
}

/**
 * The primary's pool, for hand-written SQL on hot or multi-statement paths:
 * plain `{rows, rowCount}` results, no QueryRunner per call, and no TypeORM
 * `[rows, count]` quirk for UPDATE/DELETE ... RETURNING.
 */
export function primaryPool(dataSource: DataSource): pg.Pool {
  const pool = postgresPools(dataSource).primary;
  if (!pool) throw new Error('database is not connected');
  return pool;
}

/**
 * Whether hand-written statements are named prepared statements: always on PostgreSQL
 * directly; behind PgBouncer in transaction mode only when it is 1.21+ with
 * max_prepared_statements (older ones hand a later transaction a server connection that
 * never saw the statement: "prepared statement ... does not exist").
 */
export function usesPreparedStatements(config: Pick<AppConfig, 'dbPgBouncer' | 'dbPgBouncerPreparedStatements'>): boolean {
  return !config.dbPgBouncer || config.dbPgBouncerPreparedStatements;
}

/** SQL text → prepared statement name: one name per distinct text, as pg requires. */
const statementNames = new Map<string, string>();

/** A pg query config: named (prepared once per connection) when `prepared`, else plain. */
export function statement(label: string, text: string, values: unknown[], prepared: boolean): pg.QueryConfig {
  if (!prepared) return { text, values };
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/**
 * Hand-written statements on the primary, each under a fixed name: the name labels
 * its duration and (usesPreparedStatements) makes it a named prepared statement, so
 * PostgreSQL parses and plans it once per connection.
 * Feature repositories use this; their SQL never leaves their folder.
 */
@Injectable()
export class Sql {
  private readonly prepared: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: ResolvedConfig,
  ) {
    this.prepared = usesPreparedStatements(config);
  }

  get pool(): pg.Pool {
    return primaryPool(this.dataSource);
  }

  /**
   * `name` is a short stable identifier (`key_lookup`, `stream_list`); never SQL text or
   * values. The statement's duration goes to `streamly_db_statement_duration_seconds`
   * under that name when STATEMENT_NAMES (statement-timing.ts) lists it, else `other`.
   */
  query<T extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[] = [],
    on: Queryable = this.pool,
  ): Promise<pg.QueryResult<T>> {
    return timeStatement(this.dataSource, boundedStatementName(name), () => on.query<T>(statement(name, text, values, this.prepared)));
  }

  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}
