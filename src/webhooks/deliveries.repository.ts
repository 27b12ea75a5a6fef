import { Injectable } from '@nestjs/common';
import { Sql, type Queryable } from '../database/sql.js';
import type { DeliveryPosition } from './delivery-cursor.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';

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

/** The owner's delivery log, metrics and pruning on `webhook_deliveries` (the queues themselves: DeliveryQueue). */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly sql: Sql) {}

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

  /** For the metrics: the oldest pending delivery's age in seconds (0 when none) and how many are pending. */
  async pendingStats(on?: Queryable): Promise<{ oldestSeconds: number; count: number }> {
    const { rows } = await this.sql.query<{ oldest: number | null; count: number }>(
      'delivery_pending_stats',
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS oldest, count(*)::int AS count FROM webhook_deliveries WHERE status = 'pending'`,
      [],
      on,
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
