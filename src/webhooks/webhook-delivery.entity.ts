import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Relation } from 'typeorm';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event for one endpoint (migration 1700000004010), with the exact body every
 * attempt sends. The pending deliveries of one stream for one endpoint form a queue
 * in `event_seq` order: only its head has a `next_attempt_at`; the others wait with
 * NULL until the head is delivered or failed. While an attempt is in flight,
 * `lease_token` names its claim and `next_attempt_at` is when the claim lapses
 * (another instance may then retry it).
 */
@Entity({ name: 'webhook_deliveries' })
@Unique('uq_webhook_deliveries_event', ['webhookId', 'eventId'])
@Check('chk_webhook_deliveries_status', `"status" IN ('pending', 'delivered', 'failed')`)
@Index('idx_webhook_deliveries_due', ['nextAttemptAt'], { where: `"status" = 'pending'` })
@Index('idx_webhook_deliveries_endpoint_due', ['webhookId', 'nextAttemptAt'], { where: `"status" = 'pending'` })
@Index('idx_webhook_deliveries_stream_order', ['webhookId', 'streamId', 'eventSeq'], { where: `"status" = 'pending'` })
@Index('idx_webhook_deliveries_pending_age', ['createdAt'], { where: `"status" = 'pending'` })
@Index('idx_webhook_deliveries_delivered_at', ['deliveredAt'], { where: `"status" = 'delivered'` })
@Index('idx_webhook_deliveries_log', ['webhookId', 'createdAt', 'id'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_webhook_deliveries' })
  id: string;

  @Column({ name: 'webhook_id', type: 'integer' })
  webhookId: number;

  @ManyToOne('Webhook', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'fk_webhook_deliveries_webhook_id' })
  webhook: Relation<object>;

  /** The event's place in the outbox: deliveries of one stream to one endpoint go in this order. */
  @Column({ name: 'event_seq', type: 'bigint' })
  eventSeq: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'event_type', type: 'varchar', length: 32 })
  eventType: string;

  @Column({ name: 'stream_id', type: 'integer' })
  streamId: number;

  /** The raw JSON body, byte for byte what every attempt sends and signs. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  /** Pending: when it is due; NULL while it waits behind an earlier event of its stream. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** Retries stop after this (created + WEBHOOK_RETRY_HOURS; a manual retry starts a new window). */
  @Column({ name: 'retry_until', type: 'timestamptz' })
  retryUntil: Date;

  @Column({ name: 'lease_token', type: 'uuid', nullable: true })
  leaseToken: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
