import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg pool of the primary behind TypeORM's DataSource (same connections,
 * limits and timeouts). For hand-written SQL on hot or multi-statement paths:
 * plain `{rows, rowCount}` results, no QueryRunner per call, and no TypeORM
 * `[rows, count]` quirk for UPDATE/DELETE ... RETURNING.
 */
export function primaryPool(dataSource: DataSource): pg.Pool {
  const pool = (dataSource.driver as unknown as { master?: pg.Pool }).master;
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
