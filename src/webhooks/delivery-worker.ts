import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { StreamEventsRepository } from '../streams/stream-events.repository.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { coalesce, type Coalesced } from './coalesce.js';
import { DeliveryQueue, type ClaimedDelivery } from './delivery-queue.repository.js';
import { EventDispatcher } from './event-dispatcher.js';
import { OutboxListener, STREAM_EVENTS_CHANNEL } from './outbox-listener.js';
import { retryDelaySeconds } from './retry-schedule.js';
import { SecretBox } from './secret-box.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WorkerSql } from './worker-sql.js';
import { type AttemptResult, WebhookSender } from './webhook-sender.js';
import { signatureHeader } from './webhook-signature.js';

/** Attempts in flight per instance, and per endpoint per instance (a slow endpoint holds at most this many slots). */
export const MAX_IN_FLIGHT = 128;
export const MAX_IN_FLIGHT_PER_ENDPOINT = 8;
/** A claimed delivery nobody reported on is due again after this (the sending instance died). */
const LEASE_SECONDS = 60;
/** The safety net under LISTEN: retries coming due, notifications lost. */
const POLL_MS = 1000;
/** The backlog gauges are refreshed every this many polls. */
const GAUGE_EVERY_POLLS = 5;
/**
 * New events are fanned out at most once per this window: under a burst of publishes, one
 * fan-out transaction (six round trips) for a window's events instead of one per pass
 * (`npm run bench -- --only nginx`). A quiet outbox's first event still goes at once.
 */
const FAN_OUT_WINDOW_MS = 50;

/**
 * Sends deliveries. Each pass fans out new stream events (when told there are some),
 * then claims due deliveries for its free slots; each attempt is recorded with its
 * lease, and a finished attempt frees its slot for the next pass. On shutdown no new
 * claim is made and attempts in flight finish (each within the 5 s timeout) and are
 * recorded before the pool closes; one whose result cannot be recorded is due again
 * when its lease lapses, so nothing is lost, at worst sent twice.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly sender = new WebhookSender();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perEndpoint = new Map<number, number>();
  private readonly listener: OutboxListener | undefined;
  private readonly eventsNotified: Coalesced = coalesce(() => this.wake(true), FAN_OUT_WINDOW_MS);
  private timer: NodeJS.Timeout | undefined;
  private polls = 0;
  private gauges: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private dispatchWanted = true;
  private stopping = false;
  /** A pass failed (database unreachable): warned once, until one succeeds again. */
  private failing = false;
  /** The queue's statements on the worker's own pool. */
  private readonly queue: DeliveryQueue;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly deliveries: DeliveriesRepository,
    private readonly workerSql: WorkerSql,
    private readonly streamEvents: StreamEventsRepository,
    private readonly box: SecretBox,
    private readonly metrics: WebhookMetrics,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {
    this.queue = new DeliveryQueue(workerSql);
    if (!config.dbPgBouncer) {
      this.listener = new OutboxListener(config.databaseUrl, config.dbConnectTimeoutMs, (channel) =>
        channel === STREAM_EVENTS_CHANNEL ? this.eventsNotified() : this.wake(),
      );
    }
  }

  onApplicationBootstrap(): void {
    this.listener?.start();
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
    this.wake(true);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.eventsNotified.cancel();
    await this.listener?.stop();
    await this.running;
    await this.gauges;
    await Promise.allSettled([...this.inFlight]);
    this.sender.close();
    await this.workerSql.close();
  }

  /** Something may be due (`dispatch`: and new events may wait in the outbox). Calls during a pass queue one more. */
  wake(dispatch = false): void {
    this.dispatchWanted ||= dispatch;
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .then(() => {
        if (this.failing) this.logger.log('Webhook deliveries resumed');
        this.failing = false;
      })
      .catch((error: Error) => {
        if (!this.failing) this.logger.warn(`Webhook deliveries paused, retrying every second: ${error.message}`);
        this.failing = true;
        this.dispatchWanted = true; // the outbox may hold events the failed pass did not fan out
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves once the current pass (if any) is over: for tests and benchmarks. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private poll(): void {
    if (++this.polls % GAUGE_EVERY_POLLS === 0 && !this.gauges) {
      this.gauges = this.refreshGauges().finally(() => (this.gauges = undefined));
    }
    this.wake(true);
  }

  private async pass(): Promise<void> {
    if (this.dispatchWanted) {
      this.dispatchWanted = false;
      await this.dispatcher.dispatchAll();
    }
    while (!this.stopping) {
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free <= 0) return;
      const capacity = [...this.perEndpoint].map(([id, busy]): [number, number] => [id, MAX_IN_FLIGHT_PER_ENDPOINT - busy]);
      const claimed = await this.queue.claim(free, MAX_IN_FLIGHT_PER_ENDPOINT, capacity, LEASE_SECONDS, randomUUID());
      for (const delivery of claimed) this.start(delivery);
      if (claimed.length < free) return;
    }
  }

  private start(delivery: ClaimedDelivery): void {
    this.perEndpoint.set(delivery.webhookId, (this.perEndpoint.get(delivery.webhookId) ?? 0) + 1);
    const attempt: Promise<void> = this.attempt(delivery)
      .catch((error: Error) =>
        this.logger.warn(`Webhook delivery ${delivery.id}: result not recorded (${error.message}); due again when its lease lapses`),
      )
      .finally(() => {
        this.inFlight.delete(attempt);
        const left = (this.perEndpoint.get(delivery.webhookId) ?? 1) - 1;
        if (left > 0) this.perEndpoint.set(delivery.webhookId, left);
        else this.perEndpoint.delete(delivery.webhookId);
        this.wake();
      });
    this.inFlight.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const result = await this.send(delivery);
    const outcome = await this.queue.complete(
      delivery.id,
      delivery.leaseToken,
      result,
      retryDelaySeconds(delivery.attempts, this.config.webhookRetryBaseSeconds),
    );
    if (outcome) this.metrics.recordAttempt(delivery.eventType, outcome);
    if (outcome === 'failed')
      this.logger.warn(
        `Webhook delivery ${delivery.id} to endpoint ${delivery.webhookId} failed for good after ${delivery.attempts} attempts: ${result.error}`,
      );
  }

  private send(delivery: ClaimedDelivery): Promise<AttemptResult> {
    let secrets: string[];
    try {
      secrets = [this.box.open(delivery.secret)];
    } catch (error) {
      return Promise.resolve({ delivered: false, statusCode: null, error: (error as Error).message });
    }
    try {
      if (delivery.previousSecret) secrets.push(this.box.open(delivery.previousSecret));
    } catch {
      // An unreadable old secret only costs its extra signature.
    }
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'Streamly-Webhooks/1',
      'Streamly-Event-Id': delivery.eventId,
      'Streamly-Event-Type': delivery.eventType,
      'Streamly-Signature': signatureHeader(delivery.payload, secrets),
    };
    // The operator's own endpoint is configuration, not user input: no address policy for it.
    const guarded = !this.config.webhookAllowPrivateNetworks && delivery.userId !== null;
    return this.sender.send(delivery.url, delivery.payload, headers, { guarded });
  }

  private async refreshGauges(): Promise<void> {
    try {
      const on = this.workerSql.pool;
      const [pending, lag] = await Promise.all([this.deliveries.pendingStats(on), this.streamEvents.oldestUndispatchedSeconds(on)]);
      this.metrics.setBacklog(pending.oldestSeconds, pending.count, lag);
    } catch {
      // The database is unreachable: keep the last values; the pool's own metrics tell the story.
    }
  }
}
