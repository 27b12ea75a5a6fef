import { Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { RefreshToken } from '../auth/refresh-token.entity.js';
import type { ChangePasswordDto } from './dto/change-password.dto.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';

/** The caller's token is valid but its user is gone (deleted meanwhile): same answer as a bad token. */
export const STALE_TOKEN_MESSAGE = 'missing or invalid access token';

/**
 * Accounts. Uniqueness (username ignoring case, email) is left to the unique
 * indexes: a violation becomes 409 in the exception filter, so two concurrent
 * sign-ups cannot both win. Nothing returned here carries the password hash.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passwords: PasswordService,
  ) {}

  async create(dto: CreateUserDto): Promise<User> {
    const passwordHash = await this.passwords.hash(dto.password);
    const { passwordHash: _stored, ...user } = await this.users.save(
      this.users.create({
        username: dto.username,
        email: dto.email,
        passwordHash,
        firstName: dto.firstName ?? null,
        lastName: dto.lastName ?? null,
      }),
    );
    return user as User;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Case-insensitive, served by the lower(username) unique index. */
  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('lower(user.username) = :username', { username: username.toLowerCase() })
      .getOne();
  }

  /** `login` is a username (never contains "@") or an email; returns the hash apart from the user. */
  async findCredentials(login: string): Promise<{ user: User; passwordHash: string } | null> {
    const query = this.users.createQueryBuilder('user').addSelect('user.passwordHash');
    const found = await (login.includes('@')
      ? query.where('user.email = :login', { login: login.toLowerCase() })
      : query.where('lower(user.username) = :login', { login: login.toLowerCase() })
    ).getOne();
    if (!found) return null;
    const { passwordHash, ...user } = found;
    return { user: user as User, passwordHash };
  }

  /** null when the user no longer exists. */
  async update(id: string, dto: UpdateUserDto): Promise<User | null> {
    const changes: Partial<Pick<User, 'email' | 'firstName' | 'lastName'>> = {};
    if (dto.email !== undefined) changes.email = dto.email;
    if (dto.firstName !== undefined) changes.firstName = dto.firstName;
    if (dto.lastName !== undefined) changes.lastName = dto.lastName;
    if (Object.keys(changes).length > 0) {
      const result = await this.users.update({ id }, changes);
      if (!result.affected) return null;
    }
    return this.findById(id);
  }

  /**
   * Checks the current password, stores the new hash and revokes every refresh
   * token of the user in one transaction, so no session outlives the change.
   * bcrypt runs before the transaction: no row lock is held while hashing.
   */
  async changePassword(id: string, dto: ChangePasswordDto): Promise<void> {
    const current = await this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();
    if (!current) throw new UnauthorizedException(STALE_TOKEN_MESSAGE);
    if (!(await this.passwords.verify(dto.currentPassword, current.passwordHash))) {
      throw new UnauthorizedException('current password is incorrect');
    }
    const passwordHash = await this.passwords.hash(dto.newPassword);
    await this.dataSource.transaction(async (manager) => {
      // The user row first (logins and refreshes lock it too), and only if the hash just
      // checked is still current: a concurrent change wins, this one is refused.
      const result = await manager.update(User, { id, passwordHash: current.passwordHash }, { passwordHash });
      if (!result.affected) throw new UnauthorizedException('current password is incorrect');
      await manager.update(RefreshToken, { userId: id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    });
  }

  /** Streams and refresh tokens go with the user (ON DELETE CASCADE). false when already gone. */
  async remove(id: string): Promise<boolean> {
    const result = await this.users.delete({ id });
    return Boolean(result.affected);
  }
}
