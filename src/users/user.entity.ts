import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import type { Stream } from '../streams/stream.entity.js';

@Entity({ name: 'users' })
// Usernames are unique ignoring case: an expression index TypeORM cannot describe,
// created by migration 1700000001000 and only named here so schema sync leaves it alone.
@Index('idx_users_username', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id: string;

  @Column({ type: 'varchar', length: 50 })
  username: string;

  /** Stored lower-cased, so this plain unique index is case-insensitive too. */
  @Index('idx_users_email', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  email: string;

  /** bcrypt hash. Never selected unless a query asks for it by name. */
  @Column({ name: 'password', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ name: 'first_name', type: 'varchar', length: 100, nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'varchar', length: 100, nullable: true })
  lastName: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany('Stream', (stream: Stream) => stream.user)
  streams: Relation<Stream>[];
}
