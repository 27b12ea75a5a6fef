import { Inject, Injectable, Logger, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { RetryLaterException } from '../common/retry-later.exception.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sql } from '../database/sql.js';
import { Sweeper } from '../database/sweeper.service.js';
import { StreamsRepository } from '../streams/streams.repository.js';
import { PasswordService } from '../users/password.service.js';
import type { User } from '../users/user.entity.js';
import { STALE_TOKEN_MESSAGE, UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { LoginDto } from './dto/login.dto.js';
import { AccountLoginLimit, type LoginAllowance } from './account-login-limit.js';
import { RefreshTokensRepository, type RefreshTtls } from './refresh-tokens.repository.js';

/** One answer for an unknown login and a wrong password, so neither reveals which accounts exist. */
export const INVALID_CREDENTIALS = 'invalid login or password';
export const INVALID_REFRESH_TOKEN = 'invalid or expired refresh token';

export interface Session {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: User;
}

/**
 * Sessions: a short-lived JWT access token plus an opaque refresh token that is
 * stored only as its SHA-256 hash, works once (each refresh rotates it within its
 * family) and, when a rotated one comes back, takes the whole family down with it:
 * either the client or a thief holds a copy, and we cannot tell which.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly jwt: JwtService,
    private readonly tokens: RefreshTokensRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
    private readonly loginLimit: AccountLoginLimit,
    private readonly sql: Sql,
    private readonly streams: StreamsRepository,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('expired refresh tokens', (size) => this.tokens.deleteExpired(size));
  }

  /**
   * Counts against the per-account limit (AccountLoginLimit) only when it fails for
   * the credentials: a success, or an error such as a busy server, gives the allowance back.
   */
  async login(dto: LoginDto): Promise<Session> {
    const allowance = await this.loginLimit.take(dto.login);
    let session: Session;
    try {
      session = await this.checkCredentials(dto);
    } catch (error) {
      if (allowance && !(error instanceof UnauthorizedException)) await this.giveBack(allowance);
      throw error;
    }
    if (allowance) await this.giveBack(allowance);
    return session;
  }

  /** An unknown login costs one bcrypt comparison too (against a dummy hash), like a wrong password. */
  private async checkCredentials(dto: LoginDto): Promise<Session> {
    const found = await this.users.findCredentials(dto.login);
    const valid = found
      ? await this.passwords.verify(dto.password, found.passwordHash)
      : await this.passwords.verifyAgainstDummy(dto.password);
    if (!found || !valid) throw new UnauthorizedException(INVALID_CREDENTIALS);

    // Issued only if the hash just checked is still the stored one (no session outlives a password change).
    const refreshToken = newRefreshToken();
    const issued = await this.tokens.issue(found.user.id, found.passwordHash, randomUUID(), sha256(refreshToken), this.refreshTtls());
    if (!issued) throw new UnauthorizedException(INVALID_CREDENTIALS);
    if (this.passwords.needsRehash(found.passwordHash)) await this.rehash(found.user.id, dto.password, found.passwordHash);
    return this.session(found.user, refreshToken);
  }

  /** Best effort: the session exists already, so a failure here must not turn the login into an error. */
  private async giveBack(allowance: LoginAllowance): Promise<void> {
    await this.loginLimit
      .giveBack(allowance)
      .catch((error: Error) => this.logger.warn(`Giving back a login allowance failed: ${error.message}`));
  }

  /**
   * A hash below BCRYPT_COST (an older service's, or the cost was raised) is replaced
   * now that the password is known, unless the password changed meanwhile.
   */
  private async rehash(userId: number, password: string, currentHash: string): Promise<void> {
    try {
      const newHash = await this.passwords.hash(password);
      await this.users.replacePasswordHash(userId, currentHash, newHash);
    } catch (error) {
      // The session is issued already; a busy bcrypt queue only postpones this to the next login.
      if (!(error instanceof RetryLaterException)) throw error;
    }
  }

  /**
   * Checks the current password, stores the new hash and revokes every refresh
   * token of the user in one transaction, so no session outlives the change.
   * bcrypt runs before the transaction: no row lock is held while hashing.
   */
  async changePassword(userId: number, dto: ChangePasswordDto): Promise<void> {
    const currentHash = await this.users.passwordHashOf(userId);
    if (currentHash === null) throw new UnauthorizedException(STALE_TOKEN_MESSAGE);
    if (!(await this.passwords.verify(dto.currentPassword, currentHash))) {
      throw new UnauthorizedException('current password is incorrect');
    }
    const newHash = await this.passwords.hash(dto.newPassword);
    await this.dataSource.transaction(async (manager) => {
      // The user row first (logins and refreshes lock it too), and only if the hash just
      // checked is still current: a concurrent change wins, this one is refused.
      if (!(await this.users.replacePasswordHash(userId, currentHash, newHash, manager))) {
        throw new UnauthorizedException('current password is incorrect');
      }
      await this.tokens.revokeAllOf(userId, manager);
    });
  }

  /**
   * The account, its streams and its sessions, in one transaction. Streams are removed
   * through their repository first, so each records its `stream.deleted` (a bare
   * ON DELETE CASCADE would remove them silently); sessions go by cascade.
   */
  async deleteAccount(userId: number): Promise<void> {
    const deleted = await this.sql.transaction(async (client) => {
      if (!(await this.users.lockForDeletion(userId, client))) return false;
      await this.streams.removeAllOf(client, userId);
      await this.users.removeLocked(userId, client);
      return true;
    });
    if (!deleted) throw new UnauthorizedException(STALE_TOKEN_MESSAGE);
  }

  /** Rotates: the presented token is revoked and a new one issued in the same family, atomically. */
  async refresh(refreshToken: string): Promise<Session> {
    const tokenHash = sha256(refreshToken);
    const next = newRefreshToken();
    const rotated = await this.tokens.rotate(tokenHash, sha256(next), this.refreshTtls());
    const user = rotated && (await this.users.findById(rotated.userId));
    if (!rotated || !user) {
      await this.revokeFamilyIfReused(tokenHash);
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    return this.session(user, next);
  }

  /** Ends one session. A token that is not live (unknown, expired, already used) is a 401. */
  async logout(refreshToken: string): Promise<void> {
    const tokenHash = sha256(refreshToken);
    if (!(await this.tokens.revoke(tokenHash))) {
      await this.revokeFamilyIfReused(tokenHash);
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
  }

  private refreshTtls(): RefreshTtls {
    return { slidingSeconds: this.config.jwtRefreshTtlSeconds, absoluteSeconds: this.config.jwtRefreshAbsoluteTtlSeconds };
  }

  /** iss, aud, exp and HS256 come from AccessTokenModule's signOptions. */
  private async session(user: User, refreshToken: string): Promise<Session> {
    // `sub` is a string (RFC 7519): the SERIAL id in decimal.
    const accessToken = await this.jwt.signAsync({ sub: String(user.id), typ: 'access' });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.jwtAccessTtlSeconds, user };
  }

  /** A revoked token presented again: rotation already replaced it, so someone holds a copy. */
  private async revokeFamilyIfReused(tokenHash: string): Promise<void> {
    const userId = await this.tokens.revokeFamilyIfReused(tokenHash);
    // Nothing left to revoke (logged out, password changed): a stale token, not a stolen one.
    if (userId !== null) this.logger.warn(`Refresh token reuse detected for user ${userId}: session family revoked`);
  }
}

/** 256 bits from the CSPRNG, URL-safe. Only its SHA-256 is stored: a database leak yields no usable token. */
function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
