import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

/** What became of one attempt: `delivered`, `retrying` (failed, tried again later) or `failed` (given up). */
export type AttemptOutcome = 'delivered' | 'retrying' | 'failed';

/** The webhook series in the app's registry (see docs/operations.md). */
@Injectable()
export class WebhookMetrics {
  private readonly attempts: Counter<'event_type' | 'outcome'>;
  private readonly oldestPending: Gauge;
  private readonly pending: Gauge;
  private readonly outboxLag: Gauge;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.attempts = new Counter({
      name: 'streamly_webhook_deliveries_total',
      help: 'Webhook delivery attempts by event type and outcome (delivered, retrying, failed = given up)',
      labelNames: ['event_type', 'outcome'],
      registers,
    });
    this.oldestPending = new Gauge({
      name: 'streamly_webhook_oldest_pending_delivery_seconds',
      help: 'Age of the oldest pending webhook delivery (0 when none), refreshed every few seconds',
      registers,
    });
    this.pending = new Gauge({
      name: 'streamly_webhook_pending_deliveries',
      help: 'Webhook deliveries waiting to be sent or retried',
      registers,
    });
    this.outboxLag = new Gauge({
      name: 'streamly_webhook_outbox_lag_seconds',
      help: 'Age of the oldest stream event not yet fanned out into deliveries (0 when none)',
      registers,
    });
  }

  recordAttempt(eventType: string, outcome: AttemptOutcome): void {
    this.attempts.inc({ event_type: eventType, outcome });
  }

  setBacklog(oldestPendingSeconds: number, pendingCount: number, outboxLagSeconds: number): void {
    this.oldestPending.set(oldestPendingSeconds);
    this.pending.set(pendingCount);
    this.outboxLag.set(outboxLagSeconds);
  }
}
