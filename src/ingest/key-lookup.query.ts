/**
 * The hot path: one round trip on the unique index of stream_key (plus the
 * users primary key), only the columns the answer needs, no entity hydration.
 * A file of its own so the benchmark's floor server runs the very same query
 * without loading the app.
 */
export const KEY_LOOKUP_SQL = `
  SELECT s.id AS "streamId", s.user_id AS "userId", u.username, s.status, s.expires_at AS "expiresAt",
         s.expires_at <= now() AS expired
  FROM streams s JOIN users u ON u.id = s.user_id
  WHERE s.stream_key = $1`;
