import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type pg from 'pg';
import { Sql } from '../database/sql.js';
import { QueryFailedError, type EntityManager, Repository } from 'typeorm';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';

/** The caller's token is valid but its user is gone (deleted meanwhile): same answer as a bad token. */
export const STALE_TOKEN_MESSAGE = 'missing or invalid access token';

/**
 * The unique indexes and constraints on users, and what a client reads when one
 * rejects its write: the original exact-case UNIQUE constraints and the
 * case-insensitive indexes that replaced the original plain ones.
 */
const UNIQUE_VIOLATION_MESSAGES: Record<string, string> = {
  idx_users_username: 'username is already taken',
  users_username_key: 'username is already taken',
  idx_users_email: 'email is already registered',
  users_email_key: 'email is already registered',
};

/**
 * Accounts, and the only writer of `users`. Uniqueness (username and email, both
 * ignoring case) is left to the unique indexes: a violation is a 409, so two
 * concurrent sign-ups cannot both win. Nothing returned here carries the hash.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly passwords: PasswordService,
    private readonly sql: Sql,
  ) {}

  async create(dto: CreateUserDto): Promise<User> {
    const passwordHash = await this.passwords.hash(dto.password);
    const inserted = await conflictsAs409(
      this.users.insert({
        username: dto.username,
        email: dto.email,
        passwordHash,
        firstName: dto.firstName ?? null,
        lastName: dto.lastName ?? null,
      }),
    );
    const id = (inserted.identifiers[0] as { id: number }).id;
    return (await this.findById(id))!;
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOne({ where: { id }, comment: 'user_get' });
  }

  /** Case-insensitive, served by the lower(username) unique index. */
  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .comment('user_profile')
      .where('lower(user.username) = :username', { username: username.toLowerCase() })
      .getOne();
  }

  /**
   * `login` is a username (never contains "@") or an email, both ignoring case
   * (older services stored emails as typed); returns the hash apart from the user.
   */
  async findCredentials(login: string): Promise<{ user: User; passwordHash: string } | null> {
    const query = this.users.createQueryBuilder('user').comment('login').addSelect('user.passwordHash');
    const column = login.includes('@') ? 'lower(user.email)' : 'lower(user.username)';
    const found = await query.where(`${column} = :login`, { login: login.toLowerCase() }).getOne();
    if (!found) return null;
    const { passwordHash, ...user } = found;
    return { user: user as User, passwordHash };
  }

  async passwordHashOf(id: number): Promise<string | null> {
    const found = await this.users.createQueryBuilder('user').select('user.passwordHash').where('user.id = :id', { id }).getOne();
    return found?.passwordHash ?? null;
  }

  /**
   * Stores a new hash only if `currentHash` is still the stored one, so a concurrent
   * change wins and this one reports false. `manager` makes it part of the caller's transaction.
   */
  async replacePasswordHash(id: number, currentHash: string, newHash: string, manager?: EntityManager): Promise<boolean> {
    const repository = manager ? manager.getRepository(User) : this.users;
    const result = await repository.update({ id, passwordHash: currentHash }, { passwordHash: newHash });
    return Boolean(result.affected);
  }

  /** null when the user no longer exists. */
  async update(id: number, dto: UpdateUserDto): Promise<User | null> {
    const changes: Partial<Pick<User, 'email' | 'firstName' | 'lastName'>> = {};
    if (dto.email !== undefined) changes.email = dto.email;
    if (dto.firstName !== undefined) changes.firstName = dto.firstName;
    if (dto.lastName !== undefined) changes.lastName = dto.lastName;
    if (Object.keys(changes).length > 0) {
      const result = await conflictsAs409(this.users.update({ id }, changes));
      if (!result.affected) return null;
    }
    return this.findById(id);
  }

  /**
   * Account deletion in the caller's transaction (`client`): `lockForDeletion` first (a
   * new stream's foreign-key check then waits for the outcome), the caller removes what
   * must go with an event (streams), then `removeLocked`; refresh tokens go by ON DELETE
   * CASCADE. `lockForDeletion` answers false when the user is already gone.
   */
  async lockForDeletion(id: number, client: pg.PoolClient): Promise<boolean> {
    const { rowCount } = await this.sql.query('user_lock_for_deletion', `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [id], client);
    return Boolean(rowCount);
  }

  async removeLocked(id: number, client: pg.PoolClient): Promise<void> {
    await this.sql.query('user_delete', `DELETE FROM users WHERE id = $1`, [id], client);
  }
}

/** A unique violation on users is the client's conflict (409), named by what collided. */
async function conflictsAs409<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
    if (driverError?.code === '23505')
      throw new ConflictException(UNIQUE_VIOLATION_MESSAGES[driverError.constraint ?? ''] ?? 'account already exists');
    throw error;
  }
}
