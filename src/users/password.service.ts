import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/**
 * bcrypt at the configured cost. Always the async API: hashing runs on libuv's
 * thread pool, so the event loop keeps serving while a password is checked.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  /**
   * Compared against when a login names no user, so that answer costs the same
   * bcrypt work as a wrong password. Made at startup, at the configured cost.
   */
  private dummyHash: string;

  constructor(@Inject(APP_CONFIG) private readonly config: ResolvedConfig) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /** Spends one comparison's worth of time and answers false. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await bcrypt.compare(password, this.dummyHash);
    return false;
  }
}
