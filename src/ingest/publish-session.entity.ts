import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';

/** Ingest servers that report publish sessions (MediaMTX through its runOnReady / runOnNotReady hooks). */
export const SESSION_INGESTS = ['nginx', 'srs', 'mediamtx'] as const;
export type SessionIngest = (typeof SESSION_INGESTS)[number];

/**
 * Why a session ended: `publish_done` (nginx on_publish_done, SRS on_unpublish, MediaMTX
 * runOnNotReady), `refused` (its key stopped being usable), `quiet` (no heartbeat for
 * INGEST_SESSION_TIMEOUT_SECONDS), `displaced` (the server's client id now names another
 * publish), `max_duration` (its live period was cut off).
 */
export type SessionEndReason = 'publish_done' | 'refused' | 'quiet' | 'displaced' | 'max_duration';

/**
 * One publish on an ingest server, from the allowed publish until publish-done,
 * a refused on_update, or the sweep noticing it went quiet. A stream is `live`
 * while any of its sessions is open. The ingest server's own client id names a
 * session only together with that server and only while it is open (nginx
 * restarts its counter), hence the partial unique index.
 */
@Entity({ name: 'publish_sessions' })
@Check('chk_publish_sessions_ingest', `"ingest" IN ('nginx', 'srs', 'mediamtx')`)
@Index('idx_publish_sessions_open_client', ['ingest', 'serverAddr', 'clientId'], { unique: true, where: '"ended_at" IS NULL' })
@Index('idx_publish_sessions_open_last_seen', ['lastSeenAt'], { where: '"ended_at" IS NULL' })
@Index('idx_publish_sessions_ended_at', ['endedAt'], { where: '"ended_at" IS NOT NULL' })
export class PublishSession {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_publish_sessions' })
  id: string;

  @Index('idx_publish_sessions_stream_id')
  @Column({ name: 'stream_id', type: 'integer' })
  streamId: number;

  @ManyToOne('Stream', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'stream_id', foreignKeyConstraintName: 'fk_publish_sessions_stream_id' })
  stream: Relation<object>;

  @Column({ type: 'varchar', length: 16 })
  ingest: SessionIngest;

  /** nginx-rtmp `clientid`, SRS `client_id`. */
  @Column({ name: 'client_id', type: 'varchar', length: 128 })
  clientId: string;

  /** The ingest server, as the address its hook calls come from. */
  @Column({ name: 'server_addr', type: 'varchar', length: 64 })
  serverAddr: string;

  /** The encoder's address as the ingest server reported it. */
  @Column({ name: 'remote_addr', type: 'varchar', length: 128, nullable: true })
  remoteAddr: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  /** Last publish or heartbeat (nginx on_update, SRS on_hls). */
  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 16, nullable: true })
  endReason: SessionEndReason | null;

  /** The session reports itself periodically (nginx always, SRS once on_hls arrived): only such sessions can go quiet. */
  @Column({ type: 'boolean', default: false })
  heartbeat: boolean;

  /** The stream's live period this publish belongs to (null for sessions from before live periods were recorded). */
  @Index('idx_publish_sessions_live_period_id')
  @Column({ name: 'live_period_id', type: 'bigint', nullable: true })
  livePeriodId: string | null;

  @ManyToOne('StreamLivePeriod', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'live_period_id', foreignKeyConstraintName: 'fk_publish_sessions_live_period_id' })
  livePeriod: Relation<object>;
}
