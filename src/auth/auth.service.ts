import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull, Not, Raw, Repository } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PasswordService } from '../users/password.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto } from './dto/login.dto.js';
import { RefreshToken } from './refresh-token.entity.js';

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
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly jwt: JwtService,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /** An unknown login costs one bcrypt comparison too (against a dummy hash), like a wrong password. */
  async login(dto: LoginDto): Promise<Session> {
    const found = await this.users.findCredentials(dto.login);
    const valid = found
      ? await this.passwords.verify(dto.password, found.passwordHash)
      : await this.passwords.verifyAgainstDummy(dto.password);
    if (!found || !valid) throw new UnauthorizedException(INVALID_CREDENTIALS);
    return this.startSession(found.user, randomUUID());
  }

  /** Rotates: the presented token is revoked and a new one issued in the same family, atomically. */
  async refresh(refreshToken: string): Promise<Session> {
    const tokenHash = sha256(refreshToken);
    const session = await this.dataSource.transaction(async (manager) => {
      const tokens = manager.getRepository(RefreshToken);
      const rotated = await tokens
        .createQueryBuilder()
        .update()
        .set({ revokedAt: () => 'now()' })
        .where({ tokenHash, revokedAt: IsNull(), expiresAt: notExpired() })
        .returning('user_id, family_id')
        .execute();
      const row = (rotated.raw as { user_id: string; family_id: string }[])[0];
      if (!row) return null;
      const user = await this.users.findById(row.user_id);
      return user ? this.startSession(user, row.family_id, tokens) : null;
    });
    if (!session) {
      await this.revokeFamilyIfReused(tokenHash);
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    return session;
  }

  /** Ends one session. A token that is not live (unknown, expired, already used) is a 401. */
  async logout(refreshToken: string): Promise<void> {
    const tokenHash = sha256(refreshToken);
    const result = await this.tokens.update(
      { tokenHash, revokedAt: IsNull(), expiresAt: notExpired() },
      { revokedAt: () => 'now()' },
    );
    if (!result.affected) {
      await this.revokeFamilyIfReused(tokenHash);
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
  }

  private async startSession(user: User, familyId: string, tokens = this.tokens): Promise<Session> {
    // 256 bits from the CSPRNG; only its hash is stored, so a database leak yields no usable token.
    const refreshToken = randomBytes(32).toString('base64url');
    await tokens.insert({
      userId: user.id,
      familyId,
      tokenHash: sha256(refreshToken),
      // The database's clock, like every expiry check against these rows.
      expiresAt: () => `now() + interval '${this.config.jwtRefreshTtlSeconds} seconds'`,
    });
    // iss, aud, exp and HS256 come from AccessTokenModule's signOptions.
    const accessToken = await this.jwt.signAsync({ sub: user.id, typ: 'access' });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.config.jwtAccessTtlSeconds, user };
  }

  /** A revoked token presented again: rotation already replaced it, so someone holds a copy. */
  private async revokeFamilyIfReused(tokenHash: string): Promise<void> {
    const reused = await this.tokens.findOne({
      select: { familyId: true, userId: true },
      where: { tokenHash, revokedAt: Not(IsNull()) },
    });
    if (!reused) return;
    await this.tokens.update({ familyId: reused.familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    this.logger.warn(`Refresh token reuse detected for user ${reused.userId}: session family revoked`);
  }
}

/** Compared with the database's clock, the one that set the expiry. */
const notExpired = () => Raw((column) => `${column} > now()`);

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
