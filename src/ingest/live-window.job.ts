import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { LiveSessions } from './live-sessions.service.js';
import { OutageGrace } from './outage-grace.js';

/** Often enough that a stream goes `active` within a few seconds of its reconnect window's end. */
const TICK_MS = 1000;
const WINDOWS_PER_TICK = 200;

/**
 * A short sweep, every second on every instance: live periods whose reconnect window
 * passed end (one cheap query on a partial index of waiting periods, usually empty);
 * publish-dones deferred during a database outage are recorded. Instances may race for the same stream: each ends it under the stream's row
 * lock after checking again, so the second finds nothing to do.
 */
@Injectable()
export class LiveWindowJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LiveWindowJob');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly live: LiveSessions,
    private readonly grace: OutageGrace,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), TICK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One tick; overlapping calls share the one in progress. */
  runOnce(): Promise<void> {
    this.running ??= this.tick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.recordDeferred();
      await this.live.closeDueWindows(WINDOWS_PER_TICK);
      this.failing = false;
    } catch (error) {
      // Once per failure streak: during an outage this would fail every second.
      if (!this.failing && !isDatabaseUnavailable(error)) this.logger.warn(`Live window sweep failed: ${(error as Error).message}`);
      this.failing = true;
    }
  }

  private async recordDeferred(): Promise<void> {
    const pending = this.grace.takeDeferred();
    for (let i = 0; i < pending.length; i++) {
      const { ingest, ref, at } = pending[i];
      try {
        await this.live.close(ingest, ref, at);
      } catch (error) {
        this.grace.putBack(pending.slice(i));
        throw error;
      }
    }
  }
}
