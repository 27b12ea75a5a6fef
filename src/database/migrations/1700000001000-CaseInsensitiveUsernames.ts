import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames are unique ignoring case ("Bob" and "bob" are one name), decided by the
 * database. The exact-case index becomes redundant: the lower() one is stricter and
 * also serves case-insensitive lookups (login, public profile).
 */
export class CaseInsensitiveUsernames1700000001000 implements MigrationInterface {
  name = 'CaseInsensitiveUsernames1700000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_username_lower" ON "users" (lower("username"))`);
    await queryRunner.query(`DROP INDEX "idx_users_username"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_username" ON "users" ("username")`);
    await queryRunner.query(`DROP INDEX "idx_users_username_lower"`);
  }
}
