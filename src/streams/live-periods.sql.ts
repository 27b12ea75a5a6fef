/**
 * The SQL text of LivePeriodsRepository's ingest statements, in a file that imports
 * nothing from Nest, so the benchmark's floor server runs the very same statements.
 */
export const LIVE_PERIOD_OPEN_OF_SQL = `SELECT id, idle_at IS NOT NULL AS waiting, coalesce(idle_at <= now(), false) AS "idleDue"
       FROM stream_live_periods WHERE stream_id = $1 AND ended_at IS NULL`;

export const LIVE_PERIOD_START_SQL = `INSERT INTO stream_live_periods (stream_id) VALUES ($1) RETURNING id`;

export const LIVE_PERIOD_RESUME_SQL = `UPDATE stream_live_periods SET idle_at = NULL WHERE id = $1`;

export const LIVE_PERIOD_SCHEDULE_IDLE_SQL = `UPDATE stream_live_periods SET idle_at = coalesce(idle_at, now() + make_interval(secs => $2)) WHERE id = $1`;

export const LIVE_PERIOD_END_SQL = `UPDATE stream_live_periods SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL`;
