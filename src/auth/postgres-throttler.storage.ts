import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { DataSource } from 'typeorm';

const SWEEP_INTERVAL_MS = 60_000;

/** Not exported by the package's index. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One atomic statement per attempt: start a window, count a hit, or stay blocked.
 * Every instance shares the counters, so a client cannot multiply its allowance by
 * the number of instances, and instances stay stateless. Times are the database's
 * (`now()`), so instances with skewed clocks agree. Same semantics as the
 * package's in-memory storage: the hit over the limit blocks the key for
 * `blockDuration`, hits are not counted while blocked, and a new window starts
 * after the window or the block ends.
 */
const INCREMENT = `
  INSERT INTO rate_limits AS r (key, hits, expires_at, blocked_until)
  VALUES ($1, 1, now() + $2::integer * interval '1 millisecond', NULL)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE
      WHEN r.blocked_until > now() THEN r.hits
      WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN 1
      ELSE r.hits + 1 END,
    expires_at = CASE
      WHEN r.blocked_until > now() THEN r.expires_at
      WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN excluded.expires_at
      ELSE r.expires_at END,
    blocked_until = CASE
      WHEN r.blocked_until > now() THEN r.blocked_until
      WHEN r.expires_at <= now() OR r.blocked_until IS NOT NULL THEN NULL
      WHEN r.hits + 1 > $3::integer THEN now() + $4::integer * interval '1 millisecond'
      END
  RETURNING
    hits,
    greatest(ceil(extract(epoch FROM expires_at - now())), 0)::integer AS expires_in,
    coalesce(greatest(ceil(extract(epoch FROM blocked_until - now())), 0), 0)::integer AS blocked_for`;

/** ThrottlerStorage on the `rate_limits` table (see migration 1700000001200). */
export class PostgresThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    this.sweepTimer ??= setInterval(() => void this.deleteExpired(), SWEEP_INTERVAL_MS).unref();
    const [row] = await this.dataSource.query<
      {
        hits: number;
        expires_in: number;
        blocked_for: number;
      }[]
    >(INCREMENT, [key, Math.ceil(ttl), limit, Math.ceil(blockDuration)]);
    return {
      totalHits: row.hits,
      timeToExpire: row.expires_in,
      isBlocked: row.blocked_for > 0,
      timeToBlockExpire: row.blocked_for,
    };
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /** Counters of clients that stopped coming back; any instance may do it, it is idempotent. */
  async deleteExpired(): Promise<void> {
    try {
      await this.dataSource.query(`DELETE FROM rate_limits WHERE expires_at < now() AND (blocked_until IS NULL OR blocked_until < now())`);
    } catch (error) {
      this.logger.warn(`Sweeping expired rate-limit counters failed: ${(error as Error).message}`);
    }
  }
}
