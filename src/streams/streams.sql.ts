import { shownStatus } from './key-lookup.query.js';

/**
 * The SQL text of StreamsRepository's ingest statements (and the `Stream` columns), in a
 * file that imports nothing from Nest, so the benchmark's floor server (bench/floors/)
 * runs the very same statements without loading the app.
 */
const SHOWN_STATUS = shownStatus();

/** The `Stream` shape straight from SQL (also the shape of the outbox's snapshots, minus the key). */
export const STREAM_COLUMNS = `
  id, user_id AS "userId", stream_key AS "streamKey", ${SHOWN_STATUS} AS status,
  created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt",
  reconnect_window_seconds AS "reconnectWindowSeconds", max_continuous_seconds AS "maxContinuousSeconds"`;

/** Advisory lock class (pg_advisory_xact_lock(class, user id)): the owner's live streams are counted under it. */
export const LIVE_COUNT_LOCK = 1_700_003_002;

export const STREAM_LOCK_BY_KEY_SQL = `SELECT id, user_id AS "userId", ${SHOWN_STATUS} AS status FROM streams WHERE stream_key = $1 AND user_id IS NOT NULL FOR UPDATE`;

export const STREAM_LOCK_SQL = `SELECT id, ${SHOWN_STATUS} AS status, reconnect_window_seconds AS "reconnectWindowSeconds" FROM streams WHERE id = $1 FOR UPDATE`;

export const STREAM_LIVE_COUNT_LOCK_SQL = `SELECT pg_advisory_xact_lock($1, $2)`;

export const STREAM_LIVE_COUNT_SQL = `SELECT count(*)::int AS n FROM streams WHERE user_id = $1 AND status = 'live' AND expires_at > now()`;

export const STREAM_KEY_STATE_SQL = `SELECT ${SHOWN_STATUS} AS status, stream_key = $2 AS "sameKey",
         EXISTS (SELECT 1 FROM stream_live_periods p WHERE p.stream_id = s.id AND p.ended_at IS NULL
                 AND p.started_at <= now() - make_interval(secs => s.max_continuous_seconds)) AS overtime
       FROM streams s WHERE id = $1 AND user_id IS NOT NULL`;

export const STREAM_MARK_LIVE_SQL = `UPDATE streams SET status = 'live', updated_at = now() WHERE id = $1 AND status = 'active' AND expires_at > now()`;

export const STREAM_MARK_IDLE_SQL = `UPDATE streams SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'live'`;
