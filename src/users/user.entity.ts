import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * `users` exactly as the original schema made it (constraint names are PostgreSQL's
 * defaults for that DDL). Rows written by older services are valid rows: mixed-case
 * emails, bcrypt hashes of any prefix and cost, a NULL created_at.
 */
@Entity({ name: 'users' })
@Unique('users_username_key', ['username'])
@Unique('users_email_key', ['email'])
// Unique on lower(...) since migration 1700000001000: expression indexes TypeORM cannot
// describe, only named here so schema sync leaves them alone.
@Index('idx_users_username', { synchronize: false })
@Index('idx_users_email', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'users_pkey' })
  id: number;

  @Column({ type: 'varchar', length: 50 })
  username: string;

  /** Stored lower-cased by this service; older rows may hold any case. */
  @Column({ type: 'varchar', length: 255 })
  email: string;

  /** bcrypt hash. Never selected unless a query asks for it by name. */
  @Column({ name: 'password', type: 'text', select: false })
  passwordHash: string;

  @Column({ name: 'first_name', type: 'varchar', length: 100, nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'varchar', length: 100, nullable: true })
  lastName: string | null;

  /** UTC (`TIMESTAMP` without time zone); NULL in rows of older services that left it out. */
  @Column({ name: 'created_at', type: 'timestamp', nullable: true, default: () => 'CURRENT_TIMESTAMP', insert: false, update: false })
  createdAt: Date | null;
}
