import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql, type Queryable } from '../database/sql.js';
import { STREAM_EVENT_RECORD_SQL, type StreamEventType } from './stream-events.sql.js';

export { STREAM_EVENT_TYPES, type StreamEventType } from './stream-events.sql.js';

/** One recorded change, as handed to the webhook dispatcher. */
export interface StreamEventRecord {
  /** Position in the outbox (bigint as text): the order events of one stream happened in. */
  seq: string;
  /** UUID, the event id receivers see. */
  id: string;
  type: StreamEventType;
  streamId: number;
  /** The stream's owner then; null for a stream without one. */
  userId: number | null;
  createdAt: Date;
  /** `Stream` without `streamKey`, timestamps as ISO-8601 UTC like the REST API's. */
  stream: Record<string, unknown>;
}

/** Advisory lock key (any fixed bigint): one dispatcher at a time hands out events. */
const DISPATCH_LOCK = 7_151_100_400;
/** Dispatched events are kept this long (webhooks copied what it needs), then pruned by the sweep. */
const KEEP_DISPATCHED_DAYS = 7;
/** `TIMESTAMP` columns arrive in the jsonb snapshot without a zone; they hold UTC. */
const ZONELESS_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
/** The REST API's field order first; fields added later follow. */
const FIELD_ORDER = ['id', 'userId', 'status', 'createdAt', 'updatedAt', 'expiresAt'];

/**
 * The outbox of stream changes (`stream_events`). StreamsRepository writes most
 * events inside its own statements; `record` is for changes made elsewhere in a
 * transaction on a locked stream row (live periods).
 */
@Injectable()
export class StreamEventsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Records `type` for stream `streamId` as it is now in `client`'s transaction, so the
   * event commits or rolls back with the change. Call it after the change, holding the
   * stream row's lock (StreamsRepository.lock / lockByKey / markLive …): that keeps the
   * events of one stream in commit order. Returns the event id, or null when the stream
   * does not exist.
   *
   *   await this.streamEvents.record(client, 'stream.live', streamId);
   */
  async record(client: pg.PoolClient, type: StreamEventType, streamId: number): Promise<string | null> {
    const { rows } = await this.sql.query<{ id: string }>('stream_event_record', STREAM_EVENT_RECORD_SQL, [type, streamId], client);
    return rows[0]?.id ?? null;
  }

  /**
   * Hands out up to `limit` events not yet dispatched, oldest first, and marks them
   * dispatched in `client`'s transaction (the caller writes its deliveries in the same
   * one). One claimer at a time (a transaction-scoped advisory lock; others get []),
   * so a later event of a stream is never handed out before an earlier one.
   */
  async claimUndispatched(client: pg.PoolClient, limit: number): Promise<StreamEventRecord[]> {
    const { rows: locked } = await this.sql.query<{ locked: boolean }>(
      'stream_event_dispatch_lock',
      `SELECT pg_try_advisory_xact_lock($1) AS locked`,
      [DISPATCH_LOCK],
      client,
    );
    if (!locked[0]?.locked) return [];
    const { rows } = await this.sql.query<StreamEventRecord>(
      'stream_event_claim',
      `UPDATE stream_events SET dispatched_at = now()
       WHERE seq IN (SELECT seq FROM stream_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1)
       RETURNING seq, id, type, stream_id AS "streamId", user_id AS "userId", created_at AS "createdAt", stream`,
      [limit],
      client,
    );
    return rows.map((row) => ({ ...row, stream: snapshot(row.stream) })).sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  }

  /** How long the oldest undispatched event has waited, in seconds (0 when none); `on`: another pool. */
  async oldestUndispatchedSeconds(on?: Queryable): Promise<number> {
    const { rows } = await this.sql.query<{ age: number | null }>(
      'stream_event_oldest_undispatched',
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM stream_events WHERE dispatched_at IS NULL`,
      [],
      on,
    );
    return Math.max(0, rows[0]?.age ?? 0);
  }

  /** Sweep batch: events dispatched more than a week ago. */
  async pruneDispatched(size: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'stream_event_prune',
      `DELETE FROM stream_events WHERE seq IN (
         SELECT seq FROM stream_events WHERE dispatched_at < now() - make_interval(days => $2) LIMIT $1
       )`,
      [size, KEEP_DISPATCHED_DAYS],
    );
    return rowCount ?? 0;
  }
}

/** The stored snapshot in the REST API's form: zoneless UTC timestamps get their `Z` (and milliseconds, like JSON dates). */
function snapshot(stored: Record<string, unknown>): Record<string, unknown> {
  const keys = [...FIELD_ORDER.filter((key) => key in stored), ...Object.keys(stored).filter((key) => !FIELD_ORDER.includes(key))];
  return Object.fromEntries(
    keys.map((key) => {
      const value = stored[key];
      return [key, typeof value === 'string' && ZONELESS_TIMESTAMP.test(value) ? new Date(`${value}Z`).toISOString() : value];
    }),
  );
}
