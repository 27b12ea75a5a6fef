import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql, type Queryable } from '../database/sql.js';
import type { SessionEndReason, SessionIngest } from './publish-session.entity.js';
import { SESSION_ANY_OPEN_SQL, SESSION_END_SQL, SESSION_OPEN_SQL, SESSION_TOUCH_SQL } from './publish-sessions.sql.js';

/** Identifies a publish session on its ingest server while it is open. */
export interface SessionRef {
  /** The ingest server: the address its hook calls come from. */
  serverAddr: string;
  /** The server's id of the publishing connection (nginx `clientid`, SRS `client_id`, MediaMTX source id). */
  clientId: string;
}

export interface PublishInfo extends SessionRef {
  /** The encoder's address as the ingest server saw it. */
  remoteAddr: string | null;
}

/** A session taken up again is one the sweep closed as quiet this recently (same stream, server and client id). */
const REOPEN_WITHIN_SECONDS = 86_400;

/** Every statement on `publish_sessions`. */
@Injectable()
export class PublishSessionsRepository {
  constructor(private readonly sql: Sql) {}

  /** Ends the open session this server's client id names, whatever stream it is of; returns its stream. */
  async end(ingest: SessionIngest, ref: SessionRef, reason: SessionEndReason, on?: Queryable): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'session_end',
      SESSION_END_SQL,
      [ingest, ref.serverAddr, ref.clientId, reason],
      on,
    );
    return rows.map((row) => row.stream_id);
  }

  /** A publish-done that arrived while the database was unreachable, recorded at the time it arrived (ISO string). */
  async endAt(ingest: SessionIngest, ref: SessionRef, at: string): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'session_end_at',
      `UPDATE publish_sessions SET ended_at = $4::timestamptz, end_reason = 'publish_done'
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL AND started_at <= $4::timestamptz
       RETURNING stream_id`,
      [ingest, ref.serverAddr, ref.clientId, at],
    );
    return rows.map((row) => row.stream_id);
  }

  async open(
    client: pg.PoolClient,
    streamId: number,
    ingest: SessionIngest,
    info: PublishInfo,
    periodId: string,
    heartbeat: boolean,
  ): Promise<void> {
    await this.sql.query(
      'session_open',
      SESSION_OPEN_SQL,
      [streamId, ingest, info.clientId, info.serverAddr, info.remoteAddr, periodId, heartbeat],
      client,
    );
  }

  /**
   * Takes up again the session the quiet-session sweep closed for this very publish (same
   * stream, server and client id), so a publisher that was only out of touch is one session,
   * not two. False when there is none.
   */
  async reopen(client: pg.PoolClient, streamId: number, ingest: SessionIngest, ref: SessionRef, periodId: string): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'session_reopen',
      `UPDATE publish_sessions SET ended_at = NULL, end_reason = NULL, last_seen_at = now(), live_period_id = $5
       WHERE id = (
         SELECT id FROM publish_sessions
         WHERE stream_id = $1 AND ingest = $2 AND server_addr = $3 AND client_id = $4
           AND end_reason = 'quiet' AND ended_at > now() - make_interval(secs => $6)
         ORDER BY ended_at DESC LIMIT 1
       )`,
      [streamId, ingest, ref.serverAddr, ref.clientId, periodId, REOPEN_WITHIN_SECONDS],
      client,
    );
    return Boolean(rowCount);
  }

  /** Whether this publish was cut off for running too long lately: nginx still reporting it must not revive it. */
  async wasCutOff(
    client: pg.PoolClient,
    streamId: number,
    ingest: SessionIngest,
    ref: SessionRef,
    withinSeconds: number,
  ): Promise<boolean> {
    const { rows } = await this.sql.query(
      'session_was_cut_off',
      `SELECT 1 FROM publish_sessions
       WHERE stream_id = $1 AND ingest = $2 AND server_addr = $3 AND client_id = $4
         AND end_reason = 'max_duration' AND ended_at > now() - make_interval(secs => $5)
       LIMIT 1`,
      [streamId, ingest, ref.serverAddr, ref.clientId, withinSeconds],
      client,
    );
    return rows.length > 0;
  }

  /**
   * The open session a server's client id names, marked as seen now when its last_seen_at is
   * older than `refreshAfterSeconds`. A fresh session is only read: no row lock and no WAL
   * flush on the commit of nginx's most frequent call (the sweep's resolution is minutes).
   */
  async touch(ingest: SessionIngest, ref: SessionRef, refreshAfterSeconds: number): Promise<{ id: string; streamId: number } | null> {
    const { rows } = await this.sql.query<{ id: string; streamId: number }>('session_touch', SESSION_TOUCH_SQL, [
      ingest,
      ref.serverAddr,
      ref.clientId,
      refreshAfterSeconds,
    ]);
    return rows[0] ?? null;
  }

  /** A heartbeat (SRS on_hls) for the session a server's client id names: seen now, and sweepable from now on. */
  async heartbeat(ingest: SessionIngest, ref: SessionRef): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'session_heartbeat',
      `UPDATE publish_sessions SET last_seen_at = now(), heartbeat = true
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL`,
      [ingest, ref.serverAddr, ref.clientId],
    );
    return Boolean(rowCount);
  }

  /** A heartbeat matched by stream instead (a server whose heartbeat names the connection differently). */
  async heartbeatOfStream(ingest: SessionIngest, serverAddr: string, streamId: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'session_heartbeat_stream',
      `UPDATE publish_sessions SET last_seen_at = now(), heartbeat = true
       WHERE stream_id = $3 AND ingest = $1 AND server_addr = $2 AND ended_at IS NULL`,
      [ingest, serverAddr, streamId],
    );
    return Boolean(rowCount);
  }

  async endById(id: string, reason: SessionEndReason): Promise<void> {
    await this.sql.query(
      'session_end_by_id',
      `UPDATE publish_sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL`,
      [id, reason],
    );
  }

  /** Ends every open session of the stream (its live period was cut off; the caller holds the stream's lock). */
  async endAllOfStream(client: pg.PoolClient, streamId: number, reason: SessionEndReason): Promise<void> {
    await this.sql.query(
      'session_end_stream',
      `UPDATE publish_sessions SET ended_at = now(), end_reason = $2 WHERE stream_id = $1 AND ended_at IS NULL`,
      [streamId, reason],
      client,
    );
  }

  /** Whether any session of the stream is open (the caller holds the stream's row lock). */
  async anyOpen(client: pg.PoolClient, streamId: number): Promise<boolean> {
    const { rows } = await this.sql.query('session_any_open', SESSION_ANY_OPEN_SQL, [streamId], client);
    return rows.length > 0;
  }

  /**
   * Sweep batch: sessions that send heartbeats and stopped (publish-done lost while the API
   * was down, the server killed) are closed as `quiet`; returns their streams.
   */
  async endQuiet(batchSize: number, quietSeconds: number): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'session_end_quiet',
      `UPDATE publish_sessions SET ended_at = now(), end_reason = 'quiet'
       WHERE id IN (
         SELECT id FROM publish_sessions
         WHERE ended_at IS NULL AND heartbeat AND last_seen_at < now() - make_interval(secs => $2)
         ORDER BY last_seen_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING stream_id`,
      [batchSize, quietSeconds],
    );
    return rows.map((row) => row.stream_id);
  }

  /** Retention batch: ended sessions (they hold encoder addresses) older than `days` are deleted. */
  async deleteEndedBefore(batchSize: number, days: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'session_delete_old',
      `DELETE FROM publish_sessions
       WHERE id IN (
         SELECT id FROM publish_sessions
         WHERE ended_at < now() - make_interval(days => $2)
         ORDER BY ended_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )`,
      [batchSize, days],
    );
    return rowCount ?? 0;
  }
}
