import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { StreamEventsRepository, type StreamEventRecord } from '../streams/stream-events.repository.js';
import { DeliveryQueue, type OutgoingEvent } from './delivery-queue.repository.js';
import { DELIVERIES_CHANNEL } from './outbox-listener.js';
import { WorkerSql } from './worker-sql.js';

const BATCH = 500;

/**
 * Fans stream events out into deliveries (on the worker's own pool): claims undispatched events from streams'
 * outbox and writes one delivery per interested endpoint in the same transaction, so
 * an event is fanned out exactly once (a crash rolls both back). The body is built
 * here once per event, and every attempt to every endpoint sends it byte for byte.
 */
@Injectable()
export class EventDispatcher {
  constructor(
    private readonly sql: WorkerSql,
    private readonly streamEvents: StreamEventsRepository,
    private readonly queue: DeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /** Until the outbox is empty (or another instance is dispatching); returns how many events. */
  async dispatchAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.sql.transaction(async (client) => {
        const events = await this.streamEvents.claimUndispatched(client, BATCH);
        if (events.length === 0) return 0;
        const created = await this.queue.fanOut(client, events.map(outgoing), this.config.webhookRetryHours);
        if (created > 0) await this.sql.query('delivery_notify', `SELECT pg_notify($1, '')`, [DELIVERIES_CHANNEL], client);
        return events.length;
      });
      total += count;
      if (count < BATCH) return total;
    }
  }
}

/** `{id, type, createdAt, data: {stream}}` of the contract; the stream never has its key. */
export function outgoing(event: StreamEventRecord): OutgoingEvent {
  const body = { id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), data: { stream: event.stream } };
  return { seq: event.seq, id: event.id, type: event.type, streamId: event.streamId, userId: event.userId, payload: JSON.stringify(body) };
}
