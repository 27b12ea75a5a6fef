import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A rate-limit counter (one per client and route), written only by
 * PostgresThrottlerStorage's upsert. Declared so migration:check covers the table.
 */
@Entity({ name: 'rate_limits' })
export class RateLimit {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_rate_limits' })
  key: string;

  @Column({ type: 'integer' })
  hits: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'blocked_until', type: 'timestamptz', nullable: true })
  blockedUntil: Date | null;
}
