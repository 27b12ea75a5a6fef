import { HttpStatus, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RetryLaterException } from '../common/retry-later.exception.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sql } from '../database/sql.js';
import { Sweeper } from '../database/sweeper.service.js';

const WINDOW_SECONDS = 15 * 60;

/**
 * Takes one of the account's allowances, or none when the window's are used up.
 * A new window starts with the first failure after the last one ended. Atomic, so
 * parallel attempts from many addresses and instances cannot overshoot the limit.
 */
const TAKE = `
  INSERT INTO rate_limits AS r (key, hits, expires_at) VALUES ($1, 1, now() + make_interval(secs => $2))
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.expires_at <= now() THEN 1 ELSE r.hits + 1 END,
    expires_at = CASE WHEN r.expires_at <= now() THEN excluded.expires_at ELSE r.expires_at END
  WHERE r.expires_at <= now() OR r.hits < $3
  RETURNING expires_at::text AS window_end`;

/** An allowance taken for one attempt; given back if the attempt did not fail. */
export interface LoginAllowance {
  key: string;
  /** Exact (microseconds, as text): a refund never lands in a later window. */
  windowEnd: string;
}

/**
 * At most AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES failed logins per account name, from
 * any address and instance, then 429 for that name alone until its window ends. Keyed
 * by the lower-cased `login` whether or not such an account exists (the answer tells
 * nothing), and stored only as its SHA-256: a login name is personal data. Counters
 * live in `rate_limits` beside the per-IP ones.
 *
 * An allowance is taken before bcrypt runs and given back when the attempt does not
 * fail, so only failures count; a success does not reset the count, or an attacker
 * could interleave its guesses with the owner's logins.
 */
@Injectable()
export class AccountLoginLimit implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly sweeper: Sweeper,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('expired failed-login counters', (size) => this.deleteExpired(size));
  }

  /** null when the limit is off; a 429 with Retry-After when the name has no allowance left. */
  async take(login: string): Promise<LoginAllowance | null> {
    const limit = this.config.authAccountRateLimitPer15Minutes;
    if (limit === 0) return null;
    const key = `login:${createHash('sha256').update(login.toLowerCase(), 'utf8').digest('hex')}`;
    const { rows } = await this.sql.query<{ window_end: string }>('login_limit_take', TAKE, [key, WINDOW_SECONDS, limit]);
    if (rows[0]) return { key, windowEnd: rows[0].window_end };
    const { rows: blocked } = await this.sql.query<{ seconds: number }>(
      'login_limit_wait',
      `SELECT ceil(extract(epoch FROM expires_at - now()))::integer AS seconds FROM rate_limits WHERE key = $1`,
      [key],
    );
    throw new RetryLaterException(HttpStatus.TOO_MANY_REQUESTS, 'too many attempts, try again later', blocked[0]?.seconds ?? 1);
  }

  /** The attempt succeeded or could not be judged (e.g. server busy): it is no failure. */
  async giveBack(allowance: LoginAllowance): Promise<void> {
    await this.sql.query(
      'login_limit_give_back',
      `UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND expires_at = $2::timestamptz AND hits > 0`,
      [allowance.key, allowance.windowEnd],
    );
  }

  private async deleteExpired(size: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'login_limit_sweep',
      `DELETE FROM rate_limits WHERE key IN (
         SELECT key FROM rate_limits WHERE key LIKE 'login:%' AND expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED
       )`,
      [size],
    );
    return rowCount ?? 0;
  }
}
