import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql, type Queryable } from '../database/sql.js';
import type { StreamDto } from './dto/stream.dto.js';
import { KEY_LOOKUP_SQL, shownStatus } from './key-lookup.query.js';
import { recordEventsFrom } from './stream-events.sql.js';
import type { StreamStatus } from './stream.entity.js';

const SHOWN_STATUS = shownStatus();

/** The `Stream` shape straight from SQL (also the shape of the outbox's snapshots, minus the key). */
export const STREAM_COLUMNS = `
  id, user_id AS "userId", stream_key AS "streamKey", ${SHOWN_STATUS} AS status,
  created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt"`;

/** The status filter, on the status the owner sees. */
const STATUS_FILTER: Record<StreamStatus, string> = {
  active: `status = 'active' AND expires_at > now()`,
  live: `status = 'live' AND expires_at > now()`,
  disabled: `(status IS NULL OR status NOT IN ('active', 'live', 'expired')) AND expires_at > now()`,
  expired: `(status = 'expired' OR expires_at <= now())`,
};

/** Keyset position in the newest-first list; `createdAt` null for rows of older services without one. */
export interface StreamPosition {
  createdAt: string | null;
  id: number;
}

/** What decides whether a key may publish. */
export interface KeyState {
  /** The status as a client sees it. */
  status: StreamStatus;
}

/** The ingest key lookup's row. */
export interface KeyLookupRow extends KeyState {
  streamId: number;
  userId: number;
  username: string;
  expiresAt: Date;
}

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

  /** INSERT ... SELECT FROM users: a token whose user was deleted meanwhile inserts nothing (null). Records `stream.created`. */
  async create(userId: number, key: string, expiresInSeconds: number): Promise<StreamDto | null> {
    const { rows } = await this.sql.query<StreamDto>(
      'stream_create',
      `WITH created AS (
         INSERT INTO streams (user_id, stream_key, status, expires_at)
         SELECT id, $2, 'active', now() + make_interval(secs => $3) FROM users WHERE id = $1
         RETURNING ${STREAM_COLUMNS}
       ), event AS (${recordEventsFrom('created', `'stream.created'`)})
       SELECT * FROM created`,
      [userId, key, expiresInSeconds],
    );
    return rows[0] ?? null;
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
  async update(userId: number, id: number, status: 'active' | 'disabled' | null, expiresAt: string | null): Promise<StreamDto | null> {
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
         updated_at = now()
       FROM previous WHERE id = previous_id
       RETURNING ${STREAM_COLUMNS}, CASE
         WHEN ${SHOWN_STATUS} = 'disabled' AND previous_status <> 'disabled' THEN 'stream.disabled'
         WHEN ${SHOWN_STATUS} IN ('active', 'live') AND previous_status IN ('disabled', 'expired') THEN 'stream.enabled'
       END AS "eventType"
       ), event AS (${recordEventsFrom('changed', 'c."eventType"')})
       SELECT * FROM changed`,
      [id, userId, status, expiresAt],
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
  async lockByKey(client: pg.PoolClient, key: string): Promise<(KeyState & { id: number }) | null> {
    const { rows } = await this.sql.query<KeyState & { id: number }>(
      'stream_lock_by_key',
      `SELECT id, ${SHOWN_STATUS} AS status FROM streams WHERE stream_key = $1 AND user_id IS NOT NULL FOR UPDATE`,
      [key],
      client,
    );
    return rows[0] ?? null;
  }

  /** Locks one stream row: publish decisions and live-status changes of one stream are serialised on it. */
  async lock(client: pg.PoolClient, id: number): Promise<void> {
    await this.sql.query('stream_lock', `SELECT 1 FROM streams WHERE id = $1 FOR UPDATE`, [id], client);
  }

  /** Whether `key` is still the stream's key, and its state (a session's on_update after a rotation carries the old key). */
  async keyStateOf(id: number, key: string | null, on?: Queryable): Promise<(KeyState & { sameKey: boolean }) | null> {
    const { rows } = await this.sql.query<KeyState & { sameKey: boolean }>(
      'stream_key_state',
      `SELECT ${SHOWN_STATUS} AS status, stream_key = $2 AS "sameKey" FROM streams WHERE id = $1 AND user_id IS NOT NULL`,
      [id, key],
      on,
    );
    return rows[0] ?? null;
  }

  /** `active` → `live` (only from `active`: disabled, expired or legacy statuses stay as they are). */
  async markLive(client: pg.PoolClient, id: number): Promise<void> {
    await this.sql.query(
      'stream_mark_live',
      `UPDATE streams SET status = 'live', updated_at = now() WHERE id = $1 AND status = 'active' AND expires_at > now()`,
      [id],
      client,
    );
  }

  /** `live` → `active`, when the caller holding the row lock found no open session. */
  async markIdle(client: pg.PoolClient, id: number): Promise<void> {
    await this.sql.query('stream_mark_idle', `UPDATE streams SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'live'`, [id], client);
  }
}
