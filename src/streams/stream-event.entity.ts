import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { STREAM_EVENT_TYPES } from './stream-events.sql.js';

/**
 * The outbox of stream changes (migration 1700000004000). `seq` orders them: events
 * of one stream are written under that stream's row lock, so their `seq` order is
 * their commit order. No foreign keys: a `stream.deleted` outlives its stream and user.
 * Declared for the schema check; every statement is hand-written in StreamEventsRepository.
 */
@Entity({ name: 'stream_events' })
@Unique('uq_stream_events_id', ['id'])
@Check('chk_stream_events_type', `"type" IN (${STREAM_EVENT_TYPES.map((type) => `'${type}'`).join(', ')})`)
@Index('idx_stream_events_undispatched', ['seq'], { where: '"dispatched_at" IS NULL' })
@Index('idx_stream_events_dispatched_at', ['dispatchedAt'], { where: '"dispatched_at" IS NOT NULL' })
export class StreamEvent {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_stream_events' })
  seq: string;

  /** The event id receivers see (`id`, `Streamly-Event-Id`); the writer sets gen_random_uuid(). */
  @Column({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ name: 'stream_id', type: 'integer' })
  streamId: number;

  /** NULL for a stream without an owner (the original schema allows them): only the operator endpoint hears of it. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  /** The `Stream` as its owner sees it after the change, without `streamKey`. */
  @Column({ type: 'jsonb' })
  stream: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** When webhooks fanned it out into deliveries; NULL while waiting. */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;
}
