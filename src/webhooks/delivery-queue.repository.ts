import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Sql } from '../database/sql.js';
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

/**
 * The delivery queues on `webhook_deliveries`: the pending deliveries of one stream for
 * one endpoint are a queue in event order, and only its head has a `next_attempt_at`
 * (the rest wait with NULL). Every statement that adds to a queue or moves its head is
 * here, so the invariant "one head per non-empty queue" is kept in one file.
 */
@Injectable()
export class DeliveryQueue {
  constructor(private readonly sql: Sql) {}

  /**
   * One delivery per event and enabled endpoint that wants it (the owner's, and the
   * operator's for every event), in the dispatcher's transaction. Returns how many.
   *
   * Each (endpoint, stream) pair is a queue: only its head is due (`next_attempt_at`
   * set); later deliveries wait with `next_attempt_at` NULL until `complete` promotes
   * them. A new delivery is the head only when its pair has nothing pending. The pair's
   * earliest pending delivery is read FOR SHARE: a completion about to promote (which
   * updates that row) either finishes first, and this sees the result, or waits for
   * this commit and then sees the new delivery. No pair ever has two heads or none.
   */
  async fanOut(client: pg.PoolClient, events: OutgoingEvent[], retryHours: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      'delivery_fan_out',
      `WITH targets AS (
         SELECT w.id AS webhook_id, e.*, row_number() OVER (PARTITION BY w.id, e.stream_id ORDER BY e.seq) AS nth
         FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[]) AS e(seq, id, type, stream_id, user_id, payload)
         JOIN webhooks w ON w.enabled AND (w.user_id = e.user_id OR w.user_id IS NULL) AND (w.events IS NULL OR e.type = ANY (w.events))
       ), busy AS (
         SELECT pair.webhook_id, pair.stream_id FROM (SELECT DISTINCT webhook_id, stream_id FROM targets) pair
         CROSS JOIN LATERAL (
           SELECT 1 FROM webhook_deliveries d
           WHERE d.webhook_id = pair.webhook_id AND d.stream_id = pair.stream_id AND d.status = 'pending'
           ORDER BY d.event_seq LIMIT 1
           FOR SHARE OF d
         ) earliest
       )
       INSERT INTO webhook_deliveries (webhook_id, event_seq, event_id, event_type, stream_id, payload, next_attempt_at, retry_until)
       SELECT t.webhook_id, t.seq, t.id, t.type, t.stream_id, t.payload,
         CASE WHEN t.nth = 1 AND NOT EXISTS (SELECT 1 FROM busy b WHERE b.webhook_id = t.webhook_id AND b.stream_id = t.stream_id) THEN now() END,
         now() + make_interval(hours => $7)
       FROM targets t
       ORDER BY t.seq
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
   * Claims up to `limit` due deliveries (queue heads whose time has come) for one
   * attempt each, and leases them for `leaseSeconds`: `next_attempt_at` moves to the
   * lease's end, so nobody else finds them due, and if this instance dies they are due
   * again then. FOR UPDATE SKIP LOCKED: instances claiming at once split the work.
   * `capacity` bounds the claims per endpoint: `[webhookId, free slots]` for endpoints
   * this instance is already sending to, `perEndpoint` for the rest, so one slow
   * endpoint cannot take every slot; endpoints that have waited longest go first.
   */
  async claim(
    limit: number,
    perEndpoint: number,
    capacity: Array<[number, number]>,
    leaseSeconds: number,
    leaseToken: string,
  ): Promise<ClaimedDelivery[]> {
    const { rows } = await this.sql.query<ClaimedDelivery>(
      'delivery_claim',
      `WITH due AS (
         SELECT webhook_id, min(next_attempt_at) AS since FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now() GROUP BY webhook_id
       ), capped AS MATERIALIZED (
         -- Longest-waiting endpoints first; scanned in this order, so LIMIT stops the lateral early.
         SELECT w.id, COALESCE(cap.free, $3) AS free
         FROM due JOIN webhooks w ON w.id = due.webhook_id AND w.enabled
         LEFT JOIN unnest($2::int[], $6::int[]) AS cap(webhook_id, free) ON cap.webhook_id = w.id
         WHERE COALESCE(cap.free, $3) > 0
         ORDER BY due.since
       ), picked AS (
         SELECT p.id FROM capped CROSS JOIN LATERAL (
           SELECT d.id FROM webhook_deliveries d
           WHERE d.webhook_id = capped.id AND d.status = 'pending' AND d.next_attempt_at <= now()
           ORDER BY d.next_attempt_at
           LIMIT capped.free
           FOR UPDATE OF d SKIP LOCKED
         ) p
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
   * then it is `failed`. Once it is no longer pending, the earliest delivery still
   * pending in its (endpoint, stream) queue becomes due. Two statements in one
   * transaction, on purpose: the first may wait for a fan-out holding the row FOR
   * SHARE, and the second must then see what that fan-out added (a new snapshot).
   * Returns what became of the delivery, or null when the lease was lost.
   */
  complete(
    id: string,
    leaseToken: string,
    attempt: { delivered: boolean; statusCode: number | null; error: string | null },
    retryDelaySeconds: number,
  ): Promise<'delivered' | 'retrying' | 'failed' | null> {
    return this.sql.transaction(async (client) => {
      const { rows } = await this.sql.query<{ webhookId: number; streamId: number; status: DeliveryStatus }>(
        'delivery_complete',
        `WITH next_attempt AS (SELECT now() + make_interval(secs => $6) AS at)
         UPDATE webhook_deliveries SET
           status = CASE WHEN $3 THEN 'delivered' WHEN next_attempt.at < retry_until THEN 'pending' ELSE 'failed' END,
           delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END,
           next_attempt_at = CASE WHEN NOT $3 AND next_attempt.at < retry_until THEN next_attempt.at END,
           last_status_code = $4, last_error = $5, lease_token = NULL
         FROM next_attempt
         WHERE id = $1 AND lease_token = $2
         RETURNING webhook_id AS "webhookId", stream_id AS "streamId", status`,
        [id, leaseToken, attempt.delivered, attempt.statusCode, attempt.error?.slice(0, 500) ?? null, retryDelaySeconds],
        client,
      );
      const done = rows[0];
      if (!done) return null;
      if (done.status === 'pending') return 'retrying';
      await this.sql.query(
        'delivery_promote_next',
        `UPDATE webhook_deliveries SET next_attempt_at = now()
         WHERE id = (
           SELECT id FROM webhook_deliveries WHERE webhook_id = $1 AND stream_id = $2 AND status = 'pending'
           ORDER BY event_seq LIMIT 1 FOR UPDATE
         ) AND next_attempt_at IS NULL`,
        [done.webhookId, done.streamId],
        client,
      );
      return done.status;
    });
  }

  /**
   * Sent again now, with a new retry window, and listed as pending until it is; after
   * the deliveries of its stream still pending for the endpoint, if any (locked FOR
   * SHARE as in `fanOut`). An attempt in flight keeps its lease. false: no such
   * delivery of this user's endpoint.
   */
  async retry(userId: number, webhookId: number, deliveryId: number, retryHours: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'delivery_retry',
      `WITH target AS (
         SELECT d.id, d.stream_id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.id = $3 AND d.webhook_id = $2 AND w.user_id = $1
       ), busy AS (
         SELECT 1 FROM target CROSS JOIN LATERAL (
           SELECT 1 FROM webhook_deliveries d
           WHERE d.webhook_id = $2 AND d.stream_id = target.stream_id AND d.status = 'pending' AND d.id <> target.id
           ORDER BY d.event_seq LIMIT 1
           FOR SHARE OF d
         ) earliest
       )
       UPDATE webhook_deliveries d SET status = 'pending', delivered_at = NULL,
         next_attempt_at = CASE
           WHEN d.lease_token IS NOT NULL THEN d.next_attempt_at -- being sent right now
           WHEN d.status = 'pending' AND d.next_attempt_at IS NOT NULL THEN now() -- the queue's head, backing off
           WHEN EXISTS (SELECT 1 FROM busy) THEN NULL -- behind the queue's head
           ELSE now()
         END,
         retry_until = now() + make_interval(hours => $4)
       FROM target WHERE d.id = target.id`,
      [userId, webhookId, deliveryId, retryHours],
    );
    return Boolean(rowCount);
  }

  /**
   * An endpoint was disabled: what waits for it will not be sent (a retry request can
   * revive one). Whole queues go, except a head in flight, whose completion then finds
   * nothing to promote.
   */
  async failPendingOf(webhookId: number): Promise<void> {
    await this.sql.query(
      'delivery_fail_pending',
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'webhook disabled'
       WHERE webhook_id = $1 AND status = 'pending' AND lease_token IS NULL`,
      [webhookId],
    );
  }
}
