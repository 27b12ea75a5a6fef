/**
 * What the collector asks PostgreSQL about itself (no application table is read here).
 *
 * Backends: every client connection to our database (all app instances, PgBouncer,
 * psql), except the collector's own. Sessions of other roles show `state` NULL unless
 * our role has pg_read_all_stats: they count as `other`.
 */
export const DATABASE_STATS_SQL = `
  SELECT
    (SELECT coalesce(json_object_agg(state, n), '{}')
     FROM (SELECT CASE
                    WHEN wait_event_type = 'Lock' THEN 'waiting_on_lock'
                    WHEN state = 'active' THEN 'active'
                    WHEN state = 'idle' THEN 'idle'
                    WHEN state LIKE 'idle in transaction%' THEN 'idle_in_transaction'
                    ELSE 'other'
                  END AS state, count(*) AS n
           FROM pg_stat_activity
           WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
           GROUP BY 1) AS by_state) AS backends,
    pg_database_size(current_database())::float8 AS "databaseBytes",
    (SELECT coalesce(json_object_agg(relname, pg_total_relation_size(oid)), '{}')
     FROM pg_class
     WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace AND relname = ANY($1::text[])) AS tables,
    (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn`;

export interface DatabaseStatsRow {
  backends: Record<string, number>;
  databaseBytes: number;
  /** Table name → bytes, indexes and TOAST included. */
  tables: Record<string, number>;
  /** The primary's current WAL position, the reference for replica lag. */
  lsn: string | null;
}

export const BACKEND_STATES = ['active', 'idle', 'idle_in_transaction', 'waiting_on_lock', 'other'] as const;

/**
 * On a replica: how far its replay is behind `$1` (the primary's WAL position read just
 * before; its own received position when the primary did not answer). Seconds are 0
 * once it has replayed that far, else the age of the last transaction it replayed.
 * NULL when the server is not a replica.
 */
export const REPLICA_LAG_SQL = `
  WITH r AS (SELECT coalesce($1::pg_lsn, pg_last_wal_receive_lsn()) AS target, pg_last_wal_replay_lsn() AS replayed)
  SELECT greatest(pg_wal_lsn_diff(target, replayed), 0)::float8 AS bytes,
         (CASE WHEN replayed >= target THEN 0
               ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END)::float8 AS seconds
  FROM r`;

export interface ReplicaLagRow {
  bytes: number | null;
  seconds: number | null;
}
