import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** Rows per statement: short row locks, short transactions. */
export const SWEEP_BATCH_SIZE = 500;
/** Per task and run; whatever is left waits for the next run, so one run never hogs the pool. */
const MAX_BATCHES_PER_RUN = 20;

/** One batch of work; resolves to the number of rows it handled (fewer than the batch size: done). */
export type SweepBatch = (batchSize: number) => Promise<number>;

/**
 * Periodic housekeeping, every STREAM_SWEEP_INTERVAL_SECONDS: runs the batches
 * features registered (streams past `expires_at` are marked `expired`, quiet
 * publish sessions are closed, expired refresh tokens are deleted). Safe with
 * several instances running: each batch takes its rows with FOR UPDATE SKIP
 * LOCKED, so instances split the work instead of waiting on each other.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Sweeper');
  private readonly tasks: { name: string; batch: SweepBatch }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(@Inject(APP_CONFIG) private readonly config: ResolvedConfig) {}

  /** Called by features at init; `name` appears in the log line of a run that did work. */
  register(name: string, batch: SweepBatch): void {
    this.tasks.push({ name, batch });
  }
  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.config.streamSweepIntervalSeconds * 1000);
    // Never the reason the process stays up.
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress, before the pool closes under it. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every task. Overlapping calls share the pass in progress. */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const task of this.tasks) {
      try {
        let total = 0;
        for (let batch = 0; batch < MAX_BATCHES_PER_RUN && !this.stopped; batch++) {
          const handled = await task.batch(SWEEP_BATCH_SIZE);
          total += handled;
          if (handled < SWEEP_BATCH_SIZE) break;
        }
        if (total > 0) this.logger.log(`Sweep: ${total} ${task.name}`);
      } catch (error) {
        // The next run tries again; a database outage must not crash the process.
        this.logger.warn(`Sweep of ${task.name} failed: ${(error as Error).message}`);
      }
    }
  }
}
