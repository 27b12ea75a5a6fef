/**
 * The status a client sees. Past `expires_at` is `expired` even before the sweep
 * rewrites the row; a status written by an older service that is not one of ours
 * (or NULL) is shown as `disabled`, and the row keeps it.
 */
export function shownStatus(table = ''): string {
  return `CASE
    WHEN ${table}expires_at <= now() THEN 'expired'
    WHEN ${table}status IN ('active', 'live', 'disabled', 'expired') THEN ${table}status
    ELSE 'disabled'
  END`;
}

/**
 * The ingest hot path: one round trip on the unique key index plus the users primary
 * key, only the columns the answer needs. A stream without an owner finds nothing.
 * `othersLive` (for MAX_LIVE_STREAMS_PER_USER) is counted only for a stream that is not
 * live, on the tiny partial index of live streams.
 * A file of its own so the benchmark's floor server runs the very same query
 * without loading the app.
 */
export const KEY_LOOKUP_SQL = `
  SELECT s.id AS "streamId", s.user_id AS "userId", u.username, ${shownStatus('s.')} AS status, s.expires_at AS "expiresAt",
    CASE WHEN s.status = 'live' THEN 0
      ELSE (SELECT count(*)::int FROM streams l WHERE l.user_id = s.user_id AND l.status = 'live' AND l.expires_at > now())
    END AS "othersLive"
  FROM streams s JOIN users u ON u.id = s.user_id
  WHERE s.stream_key = $1`;
