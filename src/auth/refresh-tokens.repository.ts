import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** How long a refresh token lives, and its family (the login session) at most. */
export interface RefreshTtls {
  slidingSeconds: number;
  absoluteSeconds: number;
}

/**
 * Every statement on `refresh_tokens` (by TypeORM's manager, so a caller's transaction
 * can include them). Tokens are known only by their SHA-256; expiry is compared with
 * the database's clock, the one that set it.
 */
@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A new family's first token, issued only if `passwordHash` is still the user's, under
   * a share lock on the user: a password change in flight (which holds the row) makes
   * this wait and then refuse, and one starting now waits for this insert and then
   * revokes it. No session outlives a change. The family starts now (family_started_at's default).
   */
  async issue(userId: number, passwordHash: string, familyId: string, tokenHash: string, ttls: RefreshTtls): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH owner AS (SELECT id FROM users WHERE id = $1 AND password = $2 FOR SHARE)
       INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
       SELECT id, $3, $4, now() + make_interval(secs => least($5::integer, $6::integer)) FROM owner
       RETURNING id`,
      [userId, passwordHash, familyId, tokenHash, ttls.slidingSeconds, ttls.absoluteSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Revokes a live token and issues `nextHash` in its family, atomically; null when the
   * token is unknown, expired or already used, or its family is older than the absolute
   * lifetime. The new token inherits the family's start and never outlives the family.
   * The owner's row is locked first, the lock order of password change and account
   * deletion (user, then tokens).
   */
  rotate(tokenHash: string, nextHash: string, ttls: RefreshTtls): Promise<{ userId: number } | null> {
    return this.dataSource.transaction(async (manager) => {
      const [owner] = await manager.query<{ id: number }[]>(
        `SELECT u.id FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 FOR SHARE OF u`,
        [tokenHash],
      );
      if (!owner) return null;
      // The absolute check here too, not only the capped expires_at: the setting may have been lowered since.
      const issued = await manager.query<unknown[]>(
        `WITH revoked AS (
           UPDATE refresh_tokens SET revoked_at = now()
           WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
             AND family_started_at > now() - make_interval(secs => $5)
           RETURNING family_id, family_started_at
         )
         INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, family_started_at)
         SELECT $2::integer, family_id, $3, least(now() + make_interval(secs => $4), family_started_at + make_interval(secs => $5)), family_started_at
         FROM revoked
         RETURNING id`,
        [tokenHash, owner.id, nextHash, ttls.slidingSeconds, ttls.absoluteSeconds],
      );
      return issued.length > 0 ? { userId: owner.id } : null;
    });
  }

  /** Revokes one live token; false when it is not live. */
  async revoke(tokenHash: string): Promise<boolean> {
    const [, affected] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [tokenHash],
    );
    return affected > 0;
  }

  /** Every live token of a user; `manager` puts it in the caller's transaction. */
  async revokeAllOf(userId: number, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  }

  /**
   * A revoked token presented again: rotation already replaced it, so someone holds a
   * copy. Revokes the rest of its family; returns the user when anything was left to revoke.
   */
  async revokeFamilyIfReused(tokenHash: string): Promise<number | null> {
    const [rows] = await this.dataSource.query<[{ user_id: number }[], number]>(
      `UPDATE refresh_tokens SET revoked_at = now()
       WHERE revoked_at IS NULL
         AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NOT NULL)
       RETURNING user_id`,
      [tokenHash],
    );
    return rows[0]?.user_id ?? null;
  }

  /** Sweep batch: expired tokens can never be used again (an expired token is refused before reuse detection). */
  async deleteExpired(size: number): Promise<number> {
    const [, affected] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM refresh_tokens WHERE id IN (
         SELECT id FROM refresh_tokens WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
       )`,
      [size],
    );
    return affected;
  }
}
