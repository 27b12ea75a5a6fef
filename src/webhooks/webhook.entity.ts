import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Relation } from 'typeorm';

/**
 * An endpoint (migration 1700000004010). `user_id` NULL is the operator endpoint from
 * WEBHOOK_URL / WEBHOOK_SECRET, at most one (idx_webhooks_operator, an expression
 * index TypeORM cannot describe). Secrets are stored sealed (SecretBox). Declared for
 * the schema check; statements are hand-written in WebhooksRepository.
 */
@Entity({ name: 'webhooks' })
@Index('idx_webhooks_operator', { synchronize: false })
export class Webhook {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_webhooks' })
  id: number;

  @Index('idx_webhooks_user_id')
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_webhooks_user_id' })
  user: Relation<object>;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** NULL: every event type, including types added later. */
  @Column({ type: 'text', array: true, nullable: true })
  events: string[] | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'text' })
  secret: string;

  /** The secret before the last rotation, signing too until `previous_secret_expires_at`. */
  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
