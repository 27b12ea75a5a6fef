import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.js';
import type { LivePeriodEndReason } from './live-period.entity.js';
import {
  LIVE_PERIOD_END_SQL,
  LIVE_PERIOD_OPEN_OF_SQL,
  LIVE_PERIOD_RESUME_SQL,
  LIVE_PERIOD_SCHEDULE_IDLE_SQL,
  LIVE_PERIOD_START_SQL,
} from './live-periods.sql.js';

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
    const { rows } = await this.sql.query<OpenLivePeriod>('live_period_open_of', LIVE_PERIOD_OPEN_OF_SQL, [streamId], client);
    return rows[0] ?? null;
  }

  async start(client: pg.PoolClient, streamId: number): Promise<string> {
    const { rows } = await this.sql.query<{ id: string }>('live_period_start', LIVE_PERIOD_START_SQL, [streamId], client);
    return rows[0].id;
  }

  /** A publisher is back within the window. */
  async resume(client: pg.PoolClient, id: string): Promise<void> {
    await this.sql.query('live_period_resume', LIVE_PERIOD_RESUME_SQL, [id], client);
  }

  /** The last publisher left: the window starts now (a repeated publish-done does not push it further). */
  async scheduleIdle(client: pg.PoolClient, id: string, windowSeconds: number): Promise<void> {
    await this.sql.query('live_period_schedule_idle', LIVE_PERIOD_SCHEDULE_IDLE_SQL, [id, windowSeconds], client);
  }

  async end(client: pg.PoolClient, id: string, reason: LivePeriodEndReason): Promise<void> {
    await this.sql.query('live_period_end', LIVE_PERIOD_END_SQL, [id, reason], client);
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
