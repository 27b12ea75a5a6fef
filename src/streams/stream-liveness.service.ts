import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { LivePeriodEndReason } from './live-period.entity.js';
import { LivePeriodsRepository } from './live-periods.repository.js';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamsRepository, type LockedStream } from './streams.repository.js';

/**
 * A stream's live status and live periods, changed by ingest. Every method runs in
 * the caller's transaction (`client`), which holds the stream's row lock
 * (`lock`): ingest changes its sessions and, in the same transaction, asks here
 * what that means for the stream. A live period starts in exactly one place
 * (`startLivePeriod`) and ends in exactly one place (`endLivePeriod`).
 */
@Injectable()
export class StreamLiveness {
  constructor(
    private readonly streams: StreamsRepository,
    private readonly periods: LivePeriodsRepository,
    private readonly streamEvents: StreamEventsRepository,
  ) {}

  /** Locks the stream row for a liveness change; null when the stream is gone. */
  lock(client: pg.PoolClient, streamId: number): Promise<LockedStream | null> {
    return this.streams.lockForLiveness(client, streamId);
  }

  /**
   * A publish joins the stream's live period and returns its id: the open one (a
   * reconnect within the window continues it, no new period), else a new one.
   */
  async join(client: pg.PoolClient, streamId: number): Promise<string> {
    const open = await this.periods.openOf(client, streamId);
    if (!open) return this.startLivePeriod(client, streamId);
    if (open.waiting) await this.periods.resume(client, open.id);
    // Re-enabled while its encoder kept publishing: live again, in the same period.
    await this.streams.markLive(client, streamId);
    return open.id;
  }

  /**
   * No session of the stream is open any more (the caller checked, under the lock):
   * the period waits out the reconnect window, or ends now when there is none or the
   * stream can no longer publish (disabled, expired).
   */
  async publishersGone(client: pg.PoolClient, stream: LockedStream): Promise<void> {
    const open = await this.periods.openOf(client, stream.id);
    // Live since before periods were recorded: nothing to wait out.
    if (!open) return this.streams.markIdle(client, stream.id);
    const canReturn = stream.status === 'live' || stream.status === 'active';
    if (canReturn && stream.reconnectWindowSeconds > 0) return this.periods.scheduleIdle(client, open.id, stream.reconnectWindowSeconds);
    return this.endLivePeriod(client, stream.id, open.id, 'idle');
  }

  /** The reconnect window job: ends the period if its window has passed (caller holds the lock, no session open). */
  async endIfWindowPassed(client: pg.PoolClient, streamId: number): Promise<boolean> {
    const open = await this.periods.openOf(client, streamId);
    if (!open?.idleDue) return false;
    await this.endLivePeriod(client, streamId, open.id, 'idle');
    return true;
  }

  /** The period ran longer than maxContinuousSeconds: it ends now, without a window (caller ended its sessions). */
  async cutOff(client: pg.PoolClient, streamId: number): Promise<void> {
    const open = await this.periods.openOf(client, streamId);
    if (open) await this.endLivePeriod(client, streamId, open.id, 'max_duration');
    else await this.streams.markIdle(client, streamId);
  }

  /** Streams whose reconnect window has passed. */
  dueForIdle(limit: number): Promise<number[]> {
    return this.periods.dueForIdle(limit);
  }

  /** live period starts: the stream becomes `live` with a new period (in the transaction of the publish that starts it). */
  private async startLivePeriod(client: pg.PoolClient, streamId: number): Promise<string> {
    const id = await this.periods.start(client, streamId);
    await this.streams.markLive(client, streamId);
    await this.streamEvents.record(client, 'stream.live', streamId); // once per period, with it (webhooks)
    return id;
  }

  /** live period ends: the stream is `active` again (unless disabled or expired meanwhile), in the transaction that ends it. */
  private async endLivePeriod(client: pg.PoolClient, streamId: number, periodId: string, reason: LivePeriodEndReason): Promise<void> {
    await this.periods.end(client, periodId, reason);
    await this.streams.markIdle(client, streamId);
    await this.streamEvents.record(client, 'stream.idle', streamId); // once per period, with it (webhooks)
  }
}
