import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import type { User } from '../users/user.entity.js';

export const STREAM_STATUSES = ['active', 'live', 'disabled', 'expired'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

@Entity({ name: 'streams' })
// The owner's newest-first keyset pages: WHERE user_id = $me AND (created_at, id) < cursor ORDER BY created_at DESC, id DESC.
@Index('idx_streams_user_id', ['userId', 'createdAt', 'id'])
// The expiry sweep's work list: only rows it still has to rewrite, so expired rows never slow it down.
@Index('idx_streams_expires_at', ['expiresAt'], { where: `"status" <> 'expired'` })
@Check('chk_streams_status', `"status" IN ('active', 'live', 'disabled', 'expired')`)
export class Stream {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_streams' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne('User', (user: User) => user.streams, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_streams_user_id' })
  user: Relation<User>;

  @Index('idx_streams_stream_key', { unique: true })
  @Column({ name: 'stream_key', type: 'varchar', length: 64 })
  streamKey: string;

  @Index('idx_streams_status')
  @Column({ type: 'varchar', length: 20, default: 'active' })
  status: StreamStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
