import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.js';
import type { DeliveryPosition } from './delivery-cursor.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';

/** An event ready to fan out: its raw body is built once and sent to every endpoint alike. */
export interface OutgoingEvent {
  seq: string;
  id: string;
  type: string;
  streamId: number;
  userId: number | null;
  payload: string;
}

/** A delivery claimed for one attempt, with what sending needs. */
export interface ClaimedDelivery {
  id: string;
  webhookId: number;
  /** null: the operator endpoint. */
  userId: number | null;
  url: string;
  secret: string;
  previousSecret: string | null;
  payload: string;
  eventId: string;
  eventType: string;
  /** Including this one. */
  attempts: number;
  /** This claim's lease: only it may record the outcome. */
  leaseToken: string;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  position: string;
}

const LOG_COLUMNS = `id, event_id AS "eventId", event_type AS "eventType", status, attempts, last_status_code AS "lastStatusCode",
  last_error AS "lastError", next_attempt_at AS "nextAttemptAt", created_at AS "createdAt", delivered_at AS "deliveredAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position`;
const KEEP_DELIVERED_DAYS = 30;

/** Every statement on `webhook_deliveries`. */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * One delivery per event and enabled endpoint that wants it (the owner's, and the
   * operator's for every event), in the dispatcher's transaction. Returns how many.
   */
  async fanOut(client: pg.PoolClient, events: OutgoingEvent[], retryHours: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'delivery_fan_out',
      `INSERT INTO webhook_deliveries (webhook_id, event_seq, event_id, event_type, stream_id, payload, next_attempt_at, retry_until)
       SELECT w.id, e.seq, e.id, e.type, e.stream_id, e.payload, now(), now() + make_interval(hours => $7)
       FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[]) AS e(seq, id, type, stream_id, user_id, payload)
       JOIN webhooks w ON w.enabled AND (w.user_id = e.user_id OR w.user_id IS NULL) AND (w.events IS NULL OR e.type = ANY (w.events))
       ORDER BY e.seq
       ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event DO NOTHING`,
      [
        events.map((e) => e.seq),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.streamId),
        events.map((e) => e.userId),
        events.map((e) => e.payload),
        retryHours,
      ],
      client,
    );
    return rowCount ?? 0;
  }

  /**
   * Claims up to `limit` due deliveries for one attempt each, and leases them for
   * `leaseSeconds` (`next_attempt_at` moves to the lease's end, so nobody else finds
   * them due; if this instance dies, they are due again then). FOR UPDATE SKIP LOCKED:
   * instances claiming at once split the work. Only the earliest pending event of a
   * stream per endpoint is eligible, so a later one waits while an earlier one is
   * pending (in flight or backing off). `capacity` bounds the claims per endpoint:
   * `[webhookId, free slots]` for endpoints this instance is already sending to,
   * `perEndpoint` for the rest, so one slow endpoint cannot take every slot.
   */
  async claim(limit: number, perEndpoint: number, capacity: Array<[number, number]>, leaseSeconds: number, leaseToken: string): Promise<ClaimedDelivery[]> {
    const { rows } = await this.sql.query<ClaimedDelivery>(
      'delivery_claim',
      `WITH due AS (
         SELECT DISTINCT webhook_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
       ), capped AS (
         SELECT w.id, COALESCE(cap.free, $3) AS free
         FROM due JOIN webhooks w ON w.id = due.webhook_id AND w.enabled
         LEFT JOIN unnest($2::int[], $6::int[]) AS cap(webhook_id, free) ON cap.webhook_id = w.id
       ), picked AS (
         SELECT p.id FROM capped CROSS JOIN LATERAL (
           SELECT d.id FROM webhook_deliveries d
           WHERE d.webhook_id = capped.id AND d.status = 'pending' AND d.next_attempt_at <= now()
             AND NOT EXISTS (
               SELECT 1 FROM webhook_deliveries e
               WHERE e.webhook_id = d.webhook_id AND e.stream_id = d.stream_id AND e.status = 'pending' AND e.event_seq < d.event_seq
             )
           ORDER BY d.event_seq
           LIMIT capped.free
           FOR UPDATE OF d SKIP LOCKED
         ) p
         WHERE capped.free > 0
         LIMIT $1
       )
       UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $4), lease_token = $5
       FROM picked, webhooks w
       WHERE d.id = picked.id AND w.id = d.webhook_id
       RETURNING d.id, d.webhook_id AS "webhookId", w.user_id AS "userId", w.url, w.secret,
         CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END AS "previousSecret",
         d.payload, d.event_id AS "eventId", d.event_type AS "eventType", d.attempts, d.lease_token AS "leaseToken"`,
      [limit, capacity.map(([id]) => id), perEndpoint, leaseSeconds, leaseToken, capacity.map(([, free]) => free)],
    );
    return rows;
  }

  /**
   * Records an attempt's outcome, if this claim still holds the lease. A failure is
   * retried after `retryDelaySeconds` unless that passes the delivery's retry window,
   * then it is `failed`. Returns what became of it, or null when the lease was lost.
   */
  async complete(
    id: string,
    leaseToken: string,
    attempt: { delivered: boolean; statusCode: number | null; error: string | null },
    retryDelaySeconds: number,
  ): Promise<'delivered' | 'retrying' | 'failed' | null> {
    const { rows } = await this.sql.query<{ status: DeliveryStatus }>(
      'delivery_complete',
      `WITH next AS (SELECT now() + make_interval(secs => $6) AS at)
       UPDATE webhook_deliveries SET
         status = CASE WHEN $3 THEN 'delivered' WHEN next.at < retry_until THEN 'pending' ELSE 'failed' END,
         delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END,
         next_attempt_at = CASE WHEN NOT $3 AND next.at < retry_until THEN next.at END,
         last_status_code = $4, last_error = $5, lease_token = NULL
       FROM next
       WHERE id = $1 AND lease_token = $2
       RETURNING status`,
      [id, leaseToken, attempt.delivered, attempt.statusCode, attempt.error?.slice(0, 500) ?? null, retryDelaySeconds],
    );
    const status = rows[0]?.status;
    return status === undefined ? null : status === 'pending' ? 'retrying' : status;
  }

  /** The owner's log of one endpoint, newest first, keyset-paged on (created_at, id). */
  async list(webhookId: number, after: DeliveryPosition | undefined, limit: number): Promise<DeliveryRow[]> {
    const params: unknown[] = [webhookId, limit];
    let condition = '';
    if (after) {
      params.push(after.createdAt, after.id);
      condition = `AND (created_at, id) < ($3::timestamptz, $4::bigint)`;
    }
    const { rows } = await this.sql.query<DeliveryRow>(
      after ? 'delivery_list_after' : 'delivery_list',
      `SELECT ${LOG_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 ${condition} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return rows;
  }

  /**
   * Sent again now, with a new retry window, and listed as pending until it is. An
   * attempt in flight keeps its lease (it is being sent right now). false: no such
   * delivery of this user's endpoint.
   */
  async retry(userId: number, webhookId: number, deliveryId: number, retryHours: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'delivery_retry',
      `UPDATE webhook_deliveries d SET status = 'pending', delivered_at = NULL,
         next_attempt_at = CASE WHEN d.lease_token IS NULL THEN now() ELSE d.next_attempt_at END,
         retry_until = now() + make_interval(hours => $4)
       FROM webhooks w
       WHERE d.id = $3 AND d.webhook_id = $2 AND w.id = d.webhook_id AND w.user_id = $1`,
      [userId, webhookId, deliveryId, retryHours],
    );
    return Boolean(rowCount);
  }

  /** An endpoint was disabled: what waits for it will not be sent (a retry request can revive one). */
  async failPendingOf(webhookId: number): Promise<void> {
    await this.sql.query(
      'delivery_fail_pending',
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'webhook disabled'
       WHERE webhook_id = $1 AND status = 'pending' AND lease_token IS NULL`,
      [webhookId],
    );
  }

  /** For the metrics: the oldest pending delivery's age in seconds (0 when none) and how many are pending. */
  async pendingStats(): Promise<{ oldestSeconds: number; count: number }> {
    const { rows } = await this.sql.query<{ oldest: number | null; count: number }>(
      'delivery_pending_stats',
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS oldest, count(*)::int AS count FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return { oldestSeconds: Math.max(0, rows[0]?.oldest ?? 0), count: rows[0]?.count ?? 0 };
  }

  /** Sweep batch: delivered more than 30 days ago. */
  async pruneDelivered(size: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'delivery_prune',
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < now() - make_interval(days => $2) LIMIT $1
       )`,
      [size, KEEP_DELIVERED_DAYS],
    );
    return rowCount ?? 0;
  }
}
