import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';

/** Why a live period ended. */
export type LivePeriodEndReason = 'idle' | 'max_duration';

/**
 * One live period of a stream: from the publish that made it live until the last
 * publisher left and the reconnect window passed (`idle`), or until it ran longer
 * than the stream's maxContinuousSeconds (`max_duration`). Publishes within the
 * window continue it. Its publish sessions point at it (publish_sessions.live_period_id).
 * Declared for the schema check; every statement is in LivePeriodsRepository.
 */
@Entity({ name: 'stream_live_periods' })
@Index('idx_stream_live_periods_open', ['streamId'], { unique: true, where: '"ended_at" IS NULL' })
@Index('idx_stream_live_periods_idle_at', ['idleAt'], { where: '"ended_at" IS NULL AND "idle_at" IS NOT NULL' })
export class StreamLivePeriod {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_stream_live_periods' })
  id: string;

  @Index('idx_stream_live_periods_stream_id')
  @Column({ name: 'stream_id', type: 'integer' })
  streamId: number;

  @ManyToOne('Stream', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'stream_id', foreignKeyConstraintName: 'fk_stream_live_periods_stream_id' })
  stream: Relation<object>;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  /** While nobody publishes: the end of the reconnect window, when the period ends unless someone publishes. */
  @Column({ name: 'idle_at', type: 'timestamptz', nullable: true })
  idleAt: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 16, nullable: true })
  endReason: LivePeriodEndReason | null;
}
