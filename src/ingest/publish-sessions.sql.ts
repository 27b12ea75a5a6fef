/**
 * The SQL text of PublishSessionsRepository's hot statements, in a file that imports
 * nothing from Nest, so the benchmark's floor server runs the very same statements.
 */
export const SESSION_END_SQL = `UPDATE publish_sessions SET ended_at = now(), end_reason = $4
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
       RETURNING stream_id`;

export const SESSION_OPEN_SQL = `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, remote_addr, live_period_id, heartbeat) VALUES ($1, $2, $3, $4, $5, $6, $7)`;

export const SESSION_TOUCH_SQL = `WITH s AS (
         SELECT id, stream_id, last_seen_at < now() - make_interval(secs => $4) AS stale
         FROM publish_sessions WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
       ), touched AS (
         UPDATE publish_sessions p SET last_seen_at = now() FROM s WHERE p.id = s.id AND s.stale AND p.ended_at IS NULL RETURNING p.id
       )
       SELECT id, stream_id AS "streamId" FROM s`;

export const SESSION_ANY_OPEN_SQL = `SELECT 1 FROM publish_sessions WHERE stream_id = $1 AND ended_at IS NULL LIMIT 1`;
