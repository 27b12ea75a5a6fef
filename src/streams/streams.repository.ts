import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql, type Queryable } from '../database/sql.js';
import type { StreamDto } from './dto/stream.dto.js';
import { KEY_LOOKUP_SQL, shownStatus } from './key-lookup.query.js';
import { recordEventsFrom } from './stream-events.sql.js';
import type { StreamStatus } from './stream.entity.js';
// Which strings can be keys at all: the lookups' precondition, shown to ingest with them.
export { isPossibleStreamKey } from './stream-key.js';
import type { KeyLookupRow, KeyState, LiveSettings, LockedByKey, LockedStream, NewStreamSettings, StreamPosition } from './stream-rows.js';
import {
  LIVE_COUNT_LOCK,
  STREAM_COLUMNS,
  STREAM_KEY_STATE_SQL,
  STREAM_LIVE_COUNT_LOCK_SQL,
  STREAM_LIVE_COUNT_SQL,
  STREAM_LOCK_BY_KEY_SQL,
  STREAM_LOCK_SQL,
  STREAM_MARK_IDLE_SQL,
  STREAM_MARK_LIVE_SQL,
} from './streams.sql.js';

const SHOWN_STATUS = shownStatus();

/** The `Stream` shape straight from SQL (also the shape of the outbox's snapshots, minus the key). */
export { STREAM_COLUMNS } from './streams.sql.js';

/** Advisory lock classes (pg_advisory_xact_lock(class, user id)): per-user limits are counted under them. */
const STREAM_COUNT_LOCK = 1_700_003_001;

/** The status filter, on the status the owner sees. */
const STATUS_FILTER: Record<StreamStatus, string> = {
  active: `status = 'active' AND expires_at > now()`,
  live: `status = 'live' AND expires_at > now()`,
  disabled: `(status IS NULL OR status NOT IN ('active', 'live', 'expired')) AND expires_at > now()`,
  expired: `(status = 'expired' OR expires_at <= now())`,
};

export type { KeyLookupRow, KeyState, LiveSettings, LockedByKey, LockedStream, NewStreamSettings, StreamPosition } from './stream-rows.js';

/**
 * Every statement on `streams`, and only here: owner reads and writes, the ingest
 * lookups and live-status changes, the expiry batches. Owner statements name the
 * owner (`user_id = $me`), so another user's stream is indistinguishable from a
 * missing one, and a stream without an owner (allowed by the original schema) is
 * nobody's. Timestamps are UTC `TIMESTAMP`s compared with now() in a UTC session.
 */
@Injectable()
export class StreamsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * INSERT ... SELECT FROM users: a token whose user was deleted meanwhile inserts nothing (null).
   * With a limit, the owner's streams are counted under a per-user advisory lock, so parallel
   * creates at the limit cannot both pass the count ('limit'). Records `stream.created`.
   */
  async create(userId: number, key: string, settings: NewStreamSettings, limit: number): Promise<StreamDto | null | 'limit'> {
    return this.sql.transaction(async (client) => {
      if (limit > 0) {
        await this.sql.query('stream_count_lock', `SELECT pg_advisory_xact_lock($1, $2)`, [STREAM_COUNT_LOCK, userId], client);
        const { rows } = await this.sql.query<{ n: number }>(
          'stream_count',
          `SELECT count(*)::int AS n FROM streams WHERE user_id = $1`,
          [userId],
          client,
        );
        if (rows[0].n >= limit) return 'limit';
      }
      const { rows } = await this.sql.query<StreamDto>(
        'stream_create',
        `WITH created AS (
           INSERT INTO streams (user_id, stream_key, status, expires_at, reconnect_window_seconds, max_continuous_seconds)
           SELECT id, $2, 'active', now() + make_interval(secs => $3), $4, $5 FROM users WHERE id = $1
           RETURNING ${STREAM_COLUMNS}
         ), event AS (${recordEventsFrom('created', `'stream.created'`)})
         SELECT * FROM created`,
        [userId, key, settings.expiresInSeconds, settings.reconnectWindowSeconds, settings.maxContinuousSeconds],
        client,
      );
      return rows[0] ?? null;
    });
  }

  /**
   * Newest first (rows without created_at last), keyset-paged on (created_at, id):
   * rows inserted meanwhile never shift a page. Served by idx_streams_user_id.
   */
  async list(
    userId: number,
    status: StreamStatus | undefined,
    after: StreamPosition | undefined,
    limit: number,
  ): Promise<(StreamDto & { position: string | null })[]> {
    const params: unknown[] = [userId, limit];
    const conditions = ['user_id = $1'];
    if (status) conditions.push(STATUS_FILTER[status]);
    if (after && after.createdAt !== null) {
      params.push(after.createdAt, after.id);
      conditions.push(`(created_at < $3::timestamp OR (created_at = $3::timestamp AND id < $4) OR created_at IS NULL)`);
    } else if (after) {
      params.push(after.id);
      conditions.push(`created_at IS NULL AND id < $3`);
    }
    const { rows } = await this.sql.query<StreamDto & { position: string | null }>(
      'stream_list',
      `SELECT ${STREAM_COLUMNS}, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
       FROM streams WHERE ${conditions.join(' AND ')}
       ORDER BY created_at DESC NULLS LAST, id DESC
       LIMIT $2`,
      params,
    );
    return rows;
  }

  async get(userId: number, id: number): Promise<StreamDto | null> {
    const { rows } = await this.sql.query<StreamDto>('stream_get', `SELECT ${STREAM_COLUMNS} FROM streams WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return rows[0] ?? null;
  }

  /**
   * `active` re-enables (a stream that is publishing stays `live`); a new expiry renews
   * a stream the sweep already marked `expired`. `expiresAt` is an ISO string with zone.
   * Records `stream.disabled` / `stream.enabled` only when the shown status really
   * changes (to `disabled`; from `disabled` or `expired` to usable), in the same statement.
   */
  async update(
    userId: number,
    id: number,
    status: 'active' | 'disabled' | null,
    expiresAt: string | null,
    live: LiveSettings,
  ): Promise<StreamDto | null> {
    const { rows } = await this.sql.query<StreamDto & { eventType?: string }>(
      'stream_update',
      `WITH previous AS (
         SELECT id AS previous_id, ${SHOWN_STATUS} AS previous_status FROM streams WHERE id = $1 AND user_id = $2 FOR UPDATE
       ), changed AS (
       UPDATE streams SET
         status = CASE
           WHEN $3::text = 'disabled' THEN 'disabled'
           WHEN $3::text = 'active' THEN CASE WHEN status = 'live' THEN 'live' ELSE 'active' END
           WHEN $4::timestamptz IS NOT NULL AND status = 'expired' THEN 'active'
           ELSE status
         END,
         expires_at = COALESCE($4::timestamptz, expires_at),
         reconnect_window_seconds = COALESCE($5::int, reconnect_window_seconds),
         max_continuous_seconds = COALESCE($6::int, max_continuous_seconds),
         updated_at = now()
       FROM previous WHERE id = previous_id
       RETURNING ${STREAM_COLUMNS}, CASE
         WHEN ${SHOWN_STATUS} = 'disabled' AND previous_status <> 'disabled' THEN 'stream.disabled'
         WHEN ${SHOWN_STATUS} IN ('active', 'live') AND previous_status IN ('disabled', 'expired') THEN 'stream.enabled'
       END AS "eventType"
       ), event AS (${recordEventsFrom('changed', 'c."eventType"')})
       SELECT * FROM changed`,
      [id, userId, status, expiresAt, live.reconnectWindowSeconds, live.maxContinuousSeconds],
    );
    if (!rows[0]) return null;
    const { eventType: _eventType, ...stream } = rows[0];
    return stream;
  }

  /** A new key at once: the ingest lookup of the old one finds nothing from this commit on. Records `stream.key_rotated`. */
  async rotateKey(userId: number, id: number, key: string): Promise<StreamDto | null> {
    const { rows } = await this.sql.query<StreamDto>(
      'stream_rotate_key',
      `WITH changed AS (
         UPDATE streams SET stream_key = $3, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING ${STREAM_COLUMNS}
       ), event AS (${recordEventsFrom('changed', `'stream.key_rotated'`)})
       SELECT * FROM changed`,
      [id, userId, key],
    );
    return rows[0] ?? null;
  }

  /** Records `stream.deleted` (the stream as it was) in the same statement. */
  async remove(userId: number, id: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'stream_delete',
      `WITH gone AS (DELETE FROM streams WHERE id = $1 AND user_id = $2 RETURNING ${STREAM_COLUMNS})
       ${recordEventsFrom('gone', `'stream.deleted'`)}`,
      [id, userId],
    );
    return Boolean(rowCount);
  }

  /**
   * Every stream of a user, with a `stream.deleted` each, in the caller's transaction:
   * account deletion calls this before deleting the user (whose row it holds locked,
   * so no stream is added meanwhile), so the cascade finds nothing left to delete silently.
   */
  async removeAllOf(client: pg.PoolClient, userId: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'stream_delete_all_of',
      `WITH gone AS (DELETE FROM streams WHERE user_id = $1 RETURNING ${STREAM_COLUMNS})
       ${recordEventsFrom('gone', `'stream.deleted'`)}`,
      [userId],
      client,
    );
    return rowCount ?? 0;
  }

  /**
   * One batch of the expiry sweep, walking only the partial index of rows not yet marked.
   * Rows with a status of an older service's are shown as expired too, but left as they are.
   * Records `stream.expired` for each row it marks, in the same statement.
   */
  async expireBatch(size: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'stream_expire_batch',
      `WITH expired AS (
       UPDATE streams SET status = 'expired', updated_at = now()
       WHERE id IN (
         SELECT id FROM streams
         WHERE status IN ('active', 'live', 'disabled') AND expires_at <= now()
         ORDER BY expires_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING ${STREAM_COLUMNS}
       ) ${recordEventsFrom('expired', `'stream.expired'`)}`,
      [size],
    );
    return rowCount ?? 0;
  }

  // ---- ingest ----

  /**
   * The hot path: one round trip on the unique key index plus the users primary key,
   * only the columns the answer needs. A stream without an owner finds nothing.
   */
  async lookupKey(key: string): Promise<KeyLookupRow | null> {
    const { rows } = await this.sql.query<KeyLookupRow>('key_lookup', KEY_LOOKUP_SQL, [key]);
    return rows[0] ?? null;
  }

  /** The stream a key names, locked for a publish decision (`client` is inside a transaction). */
  async lockByKey(client: pg.PoolClient, key: string): Promise<LockedByKey | null> {
    const { rows } = await this.sql.query<LockedByKey>('stream_lock_by_key', STREAM_LOCK_BY_KEY_SQL, [key], client);
    return rows[0] ?? null;
  }

  /** Locks one stream row: publish decisions and live-status changes of one stream are serialised on it. */
  async lockForLiveness(client: pg.PoolClient, id: number): Promise<LockedStream | null> {
    const { rows } = await this.sql.query<LockedStream>('stream_lock', STREAM_LOCK_SQL, [id], client);
    return rows[0] ?? null;
  }

  /**
   * The owner's live streams, counted under a per-user advisory lock held to the end of
   * the caller's transaction: parallel publishes at the live limit cannot both pass.
   */
  async countLiveLocked(client: pg.PoolClient, userId: number): Promise<number> {
    await this.sql.query('stream_live_count_lock', STREAM_LIVE_COUNT_LOCK_SQL, [LIVE_COUNT_LOCK, userId], client);
    const { rows } = await this.sql.query<{ n: number }>('stream_live_count', STREAM_LIVE_COUNT_SQL, [userId], client);
    return rows[0].n;
  }

  /**
   * Whether `key` is still the stream's key, its state, and whether its open live period has
   * run past max_continuous_seconds (a session's on_update after a rotation carries the old key).
   */
  async keyStateOf(id: number, key: string | null, on?: Queryable): Promise<(KeyState & { sameKey: boolean; overtime: boolean }) | null> {
    const { rows } = await this.sql.query<KeyState & { sameKey: boolean; overtime: boolean }>(
      'stream_key_state',
      STREAM_KEY_STATE_SQL,
      [id, key],
      on,
    );
    return rows[0] ?? null;
  }

  /** `active` → `live` (only from `active`: disabled, expired or legacy statuses stay as they are). */
  async markLive(client: pg.PoolClient, id: number): Promise<void> {
    await this.sql.query('stream_mark_live', STREAM_MARK_LIVE_SQL, [id], client);
  }

  /** `live` → `active`, when the caller holding the row lock ended the live period. */
  async markIdle(client: pg.PoolClient, id: number): Promise<void> {
    await this.sql.query('stream_mark_idle', STREAM_MARK_IDLE_SQL, [id], client);
  }
}
