import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.js';
import type { LivePeriodEndReason } from './live-period.entity.js';

/** A stream's open live period, as a publish decision or the window job sees it. */
export interface OpenLivePeriod {
  id: string;
  /** Nobody publishes: the reconnect window is running. */
  waiting: boolean;
  /** The window has passed. */
  idleDue: boolean;
}

/**
 * Every statement on `stream_live_periods`. Changes run inside the caller's
 * transaction, which holds the stream's row lock (see StreamLiveness).
 */
@Injectable()
export class LivePeriodsRepository {
  constructor(private readonly sql: Sql) {}

  async openOf(client: pg.PoolClient, streamId: number): Promise<OpenLivePeriod | null> {
    const { rows } = await this.sql.query<OpenLivePeriod>(
      'live_period_open_of',
      `SELECT id, idle_at IS NOT NULL AS waiting, coalesce(idle_at <= now(), false) AS "idleDue"
       FROM stream_live_periods WHERE stream_id = $1 AND ended_at IS NULL`,
      [streamId],
      client,
    );
    return rows[0] ?? null;
  }

  async start(client: pg.PoolClient, streamId: number): Promise<string> {
    const { rows } = await this.sql.query<{ id: string }>(
      'live_period_start',
      `INSERT INTO stream_live_periods (stream_id) VALUES ($1) RETURNING id`,
      [streamId],
      client,
    );
    return rows[0].id;
  }

  /** A publisher is back within the window. */
  async resume(client: pg.PoolClient, id: string): Promise<void> {
    await this.sql.query('live_period_resume', `UPDATE stream_live_periods SET idle_at = NULL WHERE id = $1`, [id], client);
  }

  /** The last publisher left: the window starts now (a repeated publish-done does not push it further). */
  async scheduleIdle(client: pg.PoolClient, id: string, windowSeconds: number): Promise<void> {
    await this.sql.query(
      'live_period_schedule_idle',
      `UPDATE stream_live_periods SET idle_at = coalesce(idle_at, now() + make_interval(secs => $2)) WHERE id = $1`,
      [id, windowSeconds],
      client,
    );
  }

  async end(client: pg.PoolClient, id: string, reason: LivePeriodEndReason): Promise<void> {
    await this.sql.query(
      'live_period_end',
      `UPDATE stream_live_periods SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL`,
      [id, reason],
      client,
    );
  }

  /** Streams whose reconnect window has passed, oldest first (on the partial index of waiting periods). */
  async dueForIdle(limit: number): Promise<number[]> {
    const { rows } = await this.sql.query<{ stream_id: number }>(
      'live_period_due',
      `SELECT stream_id FROM stream_live_periods WHERE ended_at IS NULL AND idle_at <= now() ORDER BY idle_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.stream_id);
  }
}
