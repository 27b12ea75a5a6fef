import { STREAM_COLUMNS } from './streams.sql.js';

/**
 * What a stream's outbox records. `stream_events` belongs to streams: every change
 * to a stream writes its event in the same statement or transaction (never one
 * without the other), and webhooks reads them through StreamEventsRepository.
 */
export const STREAM_EVENT_TYPES = [
  'stream.created',
  'stream.live',
  'stream.idle',
  'stream.disabled',
  'stream.enabled',
  'stream.key_rotated',
  'stream.expired',
  'stream.deleted',
] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/**
 * `INSERT INTO stream_events … SELECT … FROM <cte>`, for a data-modifying CTE whose
 * rows have the `Stream` shape (`RETURNING ${STREAM_COLUMNS}`): one event per row,
 * so the change and its events commit or fail together. `type` is an SQL expression
 * over the row `c` (a literal such as `'stream.deleted'`, or `c."eventType"`); rows
 * where it is NULL record nothing. The snapshot is the row as the owner sees it,
 * minus the key (and the helper column `eventType`): the key never leaves `streams`.
 */
export function recordEventsFrom(cte: string, type: string): string {
  return `INSERT INTO stream_events (id, type, stream_id, user_id, stream)
    SELECT gen_random_uuid(), e.type, e.stream_id, e.user_id, e.stream FROM (
      SELECT ${type} AS type, c.id AS stream_id, c."userId" AS user_id, to_jsonb(c) - 'streamKey' - 'eventType' AS stream FROM ${cte} c
    ) e
    WHERE e.type IS NOT NULL`;
}

/** StreamEventsRepository.record: one event for one stream as it is now (its row locked by the caller). */
export const STREAM_EVENT_RECORD_SQL = `INSERT INTO stream_events (id, type, stream_id, user_id, stream)
       SELECT gen_random_uuid(), $1, c.id, c."userId", to_jsonb(c) - 'streamKey' FROM (SELECT ${STREAM_COLUMNS} FROM streams WHERE id = $2) c
       RETURNING id`;
