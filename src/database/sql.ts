import type pg from 'pg';
import type { DataSource } from 'typeorm';

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
 * Runs `work` in one READ COMMITTED transaction on one connection. A connection
 * whose ROLLBACK fails (e.g. a client-side query timeout) is discarded, not reused.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      client.release(rollbackError as Error);
    }
    throw error;
  }
}
