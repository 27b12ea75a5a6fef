import { HttpStatus, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { RetryLaterException } from '../common/retry-later.exception.js';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/**
 * bcrypt at the configured cost. Always the async API: hashing runs on libuv's
 * thread pool, so the event loop keeps serving while a password is checked.
 *
 * At most pool size − 1 bcrypt jobs run at once (the rest wait here, in order).
 * The pool also serves the database driver: pg's SCRAM handshake (WebCrypto) and
 * DNS lookups for a new connection. Queued behind a burst of logins they took over
 * DB_CONNECT_TIMEOUT_MS and logins failed with 503 (seen in bench:login at cost 12).
 * With cores < pool size this costs no bcrypt throughput; otherwise raise
 * UV_THREADPOOL_SIZE, which raises this limit with it.
 *
 * At most BCRYPT_MAX_QUEUE jobs wait; one more is refused at once with 503 and a
 * Retry-After of about the time the queue takes to drain. Waiting longer would
 * only hold sockets and memory, and the client gets a timeout instead of an answer.
 */
/** `$2a$`/`$2b$`/`$2y$`, a two-digit cost, 53 characters of salt and hash. */
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

@Injectable()
export class PasswordService implements OnModuleInit {
  /**
   * Compared against when a login names no user, so that answer costs the same
   * bcrypt work as a wrong password. Made at startup, at the configured cost, without
   * holding the start up (one bcrypt run, ~0.25 s at cost 12): a login that needs it
   * before it exists waits for it.
   */
  private dummyHash: Promise<string>;
  private readonly slots: Slots;
  /** Moving average of one bcrypt job, for Retry-After. */
  private averageMs = 100;

  constructor(@Inject(APP_CONFIG) private readonly config: ResolvedConfig) {
    this.slots = new Slots(Math.max(1, config.uvThreadPoolSize - 1), config.bcryptMaxQueue);
  }

  onModuleInit(): void {
    this.dummyHash = this.hash(randomBytes(16).toString('hex'));
    // Awaited by the first login that needs it (which then sees any error); not an unhandled rejection meanwhile.
    this.dummyHash.catch(() => undefined);
  }

  hash(password: string): Promise<string> {
    return this.run(() => bcrypt.hash(password, this.config.bcryptCost));
  }

  /**
   * Hashes of other bcrypt implementations count too: `$2a$`, `$2b$` and PHP's
   * `$2y$` (the same algorithm; the bcrypt package only knows the first two), any
   * cost. A stored value that is no bcrypt hash at all matches nothing.
   */
  verify(password: string, hash: string): Promise<boolean> {
    // Same time as a wrong password, so such an account is not told apart.
    if (!BCRYPT_HASH.test(hash)) return this.verifyAgainstDummy(password);
    return this.run(() => bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$')));
  }

  private async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.slots.full) {
      const drainMs = ((this.slots.queued + 1) * this.averageMs) / this.slots.size;
      throw new RetryLaterException(HttpStatus.SERVICE_UNAVAILABLE, 'server busy, try again shortly', drainMs / 1000);
    }
    return this.slots.run(async () => {
      const started = performance.now();
      try {
        return await job();
      } finally {
        this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      }
    });
  }

  /** A hash below the configured cost (older services, or the cost was raised) is replaced at the next login. */
  needsRehash(hash: string): boolean {
    const cost = BCRYPT_HASH.exec(hash)?.[1];
    return cost !== undefined && Number(cost) < this.config.bcryptCost;
  }

  /** Spends one comparison's worth of time and answers false. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(password, await this.dummyHash);
    return false;
  }
}

/**
 * A counting semaphore: at most `size` tasks at once, the others started in arrival
 * order. `full` says that one more would exceed `maxQueue` waiting tasks; callers
 * check it first (run itself does not refuse).
 */
export class Slots {
  private readonly waiting: (() => void)[] = [];
  private free: number;

  constructor(
    readonly size: number,
    private readonly maxQueue = Infinity,
  ) {
    this.free = size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get full(): boolean {
    return this.free === 0 && this.waiting.length >= this.maxQueue;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
