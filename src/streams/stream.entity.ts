import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Relation } from 'typeorm';

/** The statuses this service writes and shows. Older rows may hold others: shown as `disabled`. */
export const STREAM_STATUSES = ['active', 'live', 'disabled', 'expired'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/**
 * `streams` exactly as the original schema made it. Declared for the schema check
 * (migration:check) and the foreign keys of other tables; every statement on it is
 * hand-written SQL in StreamsRepository.
 */
@Entity({ name: 'streams' })
@Unique('streams_stream_key_key', ['streamKey'])
// Reshaped by migration 1700000001300 under their original names (DESC NULLS LAST, partial):
// shapes TypeORM cannot describe, only named here so schema sync leaves them alone.
@Index('idx_streams_user_id', { synchronize: false })
@Index('idx_streams_expires_at', { synchronize: false })
@Index('idx_streams_user_live', ['userId'], { where: `"status" = 'live'` })
@Check('chk_streams_reconnect_window_seconds', `"reconnect_window_seconds" BETWEEN 0 AND 1800`)
@Check('chk_streams_max_continuous_seconds', `"max_continuous_seconds" BETWEEN 60 AND 86400`)
export class Stream {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'streams_pkey' })
  id: number;

  /** Nullable in the original schema: a stream without an owner is listed to nobody and refused at ingest. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'streams_user_id_fkey' })
  user: Relation<object>;

  @Index('idx_streams_stream_key')
  @Column({ name: 'stream_key', type: 'varchar', length: 255 })
  streamKey: string;

  @Index('idx_streams_status')
  @Column({ type: 'varchar', length: 50, nullable: true, default: 'active' })
  status: string | null;

  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'CURRENT_TIMESTAMP' })
  createdAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamp', nullable: true, default: () => 'CURRENT_TIMESTAMP' })
  updatedAt: Date | null;

  @Column({ name: 'expires_at', type: 'timestamp' })
  expiresAt: Date;

  // ---- added by migration 1700000003000 (defaults, so older INSERTs keep working) ----

  /** After the last publisher leaves, the stream stays live this long; a publish within it continues the live period. */
  @Column({ name: 'reconnect_window_seconds', type: 'integer', default: 60 })
  reconnectWindowSeconds: number;

  /** A live period longer than this is cut off. */
  @Column({ name: 'max_continuous_seconds', type: 'integer', default: 43_200 })
  maxContinuousSeconds: number;
}
