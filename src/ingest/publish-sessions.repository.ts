import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql, type Queryable } from '../database/sql.js';
import type { SessionIngest } from './publish-session.entity.js';

/** Identifies a publish session on its ingest server while it is open. */
export interface SessionRef {
  /** The ingest server: the address its hook calls come from. */
  serverAddr: string;
  /** The server's id of the publishing connection (nginx `clientid`, SRS `client_id`). */
  clientId: string;
}

export interface PublishInfo extends SessionRef {
  /** The encoder's address as the ingest server saw it. */
  remoteAddr: string | null;
}

/** Every statement on `publish_sessions`. */
@Injectable()
export class PublishSessionsRepository {
  constructor(private readonly sql: Sql) {}

  /** Ends the open session this server's client id names, whatever stream it is of; returns its stream. */
  async end(ingest: SessionIngest, ref: SessionRef, on?: Queryable): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'session_end',
      `UPDATE publish_sessions SET ended_at = now()
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
       RETURNING stream_id`,
      [ingest, ref.serverAddr, ref.clientId],
      on,
    );
    return rows.map((row) => row.stream_id);
  }

  async open(client: pg.PoolClient, streamId: number, ingest: SessionIngest, info: PublishInfo): Promise<void> {
    await this.sql.query(
      'session_open',
      `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, remote_addr) VALUES ($1, $2, $3, $4, $5)`,
      [streamId, ingest, info.clientId, info.serverAddr, info.remoteAddr],
      client,
    );
  }

  /** The open session a server's client id names, marked as seen now. */
  async touch(ingest: SessionIngest, ref: SessionRef): Promise<{ id: string; streamId: number } | null> {
    const { rows } = await this.sql.query<{ id: string; streamId: number }>(
      'session_touch',
      `UPDATE publish_sessions SET last_seen_at = now()
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
       RETURNING id, stream_id AS "streamId"`,
      [ingest, ref.serverAddr, ref.clientId],
    );
    return rows[0] ?? null;
  }

  async endById(id: string): Promise<void> {
    await this.sql.query('session_end_by_id', `UPDATE publish_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL`, [id]);
  }

  /** Whether any session of the stream is open (the caller holds the stream's row lock). */
  async anyOpen(client: pg.PoolClient, streamId: number): Promise<boolean> {
    const { rows } = await this.sql.query(
      'session_any_open',
      `SELECT 1 FROM publish_sessions WHERE stream_id = $1 AND ended_at IS NULL LIMIT 1`,
      [streamId],
      client,
    );
    return rows.length > 0;
  }

  /**
   * Sweep batch: nginx-rtmp sessions that stopped getting on_update (publish-done lost
   * while the API was down, nginx killed) are closed; returns their streams.
   */
  async endQuiet(batchSize: number, quietSeconds: number): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'session_end_quiet',
      `UPDATE publish_sessions SET ended_at = now()
       WHERE id IN (
         SELECT id FROM publish_sessions
         WHERE ended_at IS NULL AND ingest = 'nginx' AND last_seen_at < now() - make_interval(secs => $2)
         ORDER BY last_seen_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING stream_id`,
      [batchSize, quietSeconds],
    );
    return rows.map((row) => row.stream_id);
  }
}
