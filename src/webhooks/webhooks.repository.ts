import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.js';

/** A user's endpoint as stored (the sealed secret stays in the repository's callers that need it). */
export interface WebhookRow {
  id: number;
  url: string;
  /** null: every event type. */
  events: string[] | null;
  enabled: boolean;
  createdAt: Date;
}

export interface OperatorRow {
  id: number;
  url: string;
  enabled: boolean;
  secret: string;
}

const COLUMNS = `id, url, events, enabled, created_at AS "createdAt"`;
/** First key of pg_advisory_xact_lock(int, int) for "a user's webhooks"; the second is the user id. */
const LIMIT_LOCK = 1_100_400;
/** After a rotation the old secret signs too, for this long. */
const PREVIOUS_SECRET_HOURS = 24;

/**
 * Every statement on `webhooks`. Owner statements name the owner (`user_id = $me`),
 * so another user's endpoint is indistinguishable from a missing one; the operator
 * endpoint (user_id NULL) is nobody's.
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * At most `limit` per user, counted under a per-user advisory lock so two concurrent
   * registrations cannot both take the last place. 'limit' when full; null when the
   * user no longer exists.
   */
  create(userId: number, url: string, events: string[] | null, sealedSecret: string, limit: number): Promise<WebhookRow | 'limit' | null> {
    return this.sql.transaction(async (client) => {
      await this.sql.query('webhook_limit_lock', `SELECT pg_advisory_xact_lock($1, $2)`, [LIMIT_LOCK, userId], client);
      const { rows: counted } = await this.sql.query<{ count: number }>(
        'webhook_count',
        `SELECT count(*)::int AS count FROM webhooks WHERE user_id = $1`,
        [userId],
        client,
      );
      if ((counted[0]?.count ?? 0) >= limit) return 'limit';
      const { rows } = await this.sql.query<WebhookRow>(
        'webhook_create',
        `INSERT INTO webhooks (user_id, url, events, secret) SELECT id, $2, $3, $4 FROM users WHERE id = $1 RETURNING ${COLUMNS}`,
        [userId, url, events, sealedSecret],
        client,
      );
      return rows[0] ?? null;
    });
  }

  async list(userId: number): Promise<WebhookRow[]> {
    const { rows } = await this.sql.query<WebhookRow>('webhook_list', `SELECT ${COLUMNS} FROM webhooks WHERE user_id = $1 ORDER BY id`, [
      userId,
    ]);
    return rows;
  }

  async get(userId: number, id: number): Promise<WebhookRow | null> {
    const { rows } = await this.sql.query<WebhookRow>('webhook_get', `SELECT ${COLUMNS} FROM webhooks WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return rows[0] ?? null;
  }

  /** Fields left undefined keep their value. */
  async update(userId: number, id: number, changes: { url?: string; events?: string[]; enabled?: boolean }): Promise<WebhookRow | null> {
    const { rows } = await this.sql.query<WebhookRow>(
      'webhook_update',
      `UPDATE webhooks SET
         url = COALESCE($3, url),
         events = CASE WHEN $4::boolean THEN $5::text[] ELSE events END,
         enabled = COALESCE($6, enabled),
         updated_at = now()
       WHERE id = $1 AND user_id = $2
       RETURNING ${COLUMNS}`,
      [id, userId, changes.url ?? null, changes.events !== undefined, changes.events ?? null, changes.enabled ?? null],
    );
    return rows[0] ?? null;
  }

  async remove(userId: number, id: number): Promise<boolean> {
    const { rowCount } = await this.sql.query('webhook_delete', `DELETE FROM webhooks WHERE id = $1 AND user_id = $2`, [id, userId]);
    return Boolean(rowCount);
  }

  /** The new secret signs from now on; the one it replaces keeps signing for 24 h. */
  async rotateSecret(userId: number, id: number, sealedSecret: string): Promise<WebhookRow | null> {
    const { rows } = await this.sql.query<WebhookRow>(
      'webhook_rotate_secret',
      `UPDATE webhooks SET secret = $3, previous_secret = secret,
         previous_secret_expires_at = now() + make_interval(hours => $4), updated_at = now()
       WHERE id = $1 AND user_id = $2
       RETURNING ${COLUMNS}`,
      [id, userId, sealedSecret, PREVIOUS_SECRET_HOURS],
    );
    return rows[0] ?? null;
  }

  // ---- the operator endpoint (WEBHOOK_URL / WEBHOOK_SECRET), kept in step with configuration at startup ----

  /** Locked in `client`'s transaction; callers hold the transaction only for the sync. */
  async lockOperator(client: pg.PoolClient): Promise<OperatorRow | null> {
    await this.sql.query('webhook_operator_lock', `SELECT pg_advisory_xact_lock($1, 0)`, [LIMIT_LOCK], client);
    const { rows } = await this.sql.query<OperatorRow>(
      'webhook_operator_get',
      `SELECT id, url, enabled, secret FROM webhooks WHERE user_id IS NULL FOR UPDATE`,
      [],
      client,
    );
    return rows[0] ?? null;
  }

  async insertOperator(client: pg.PoolClient, url: string, sealedSecret: string): Promise<void> {
    await this.sql.query(
      'webhook_operator_insert',
      `INSERT INTO webhooks (user_id, url, secret) VALUES (NULL, $1, $2)`,
      [url, sealedSecret],
      client,
    );
  }

  /** `rotatedFrom`: the sealed secret that was in force, which keeps signing for 24 h (null: secret unchanged). */
  async updateOperator(client: pg.PoolClient, url: string, sealedSecret: string, rotatedFrom: string | null): Promise<void> {
    await this.sql.query(
      'webhook_operator_update',
      `UPDATE webhooks SET url = $1, enabled = true, secret = $2,
         previous_secret = CASE WHEN $3::text IS NULL THEN previous_secret ELSE $3 END,
         previous_secret_expires_at = CASE WHEN $3::text IS NULL THEN previous_secret_expires_at ELSE now() + make_interval(hours => $4) END,
         updated_at = now()
       WHERE user_id IS NULL`,
      [url, sealedSecret, rotatedFrom, PREVIOUS_SECRET_HOURS],
      client,
    );
  }

  /** WEBHOOK_URL was removed: no new deliveries to it; its log stays. */
  async disableOperator(client: pg.PoolClient): Promise<void> {
    await this.sql.query(
      'webhook_operator_disable',
      `UPDATE webhooks SET enabled = false, updated_at = now() WHERE user_id IS NULL`,
      [],
      client,
    );
  }
}
