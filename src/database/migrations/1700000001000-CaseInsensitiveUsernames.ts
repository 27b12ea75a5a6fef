import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames are unique ignoring case ("Bob" and "bob" are one name), decided by the
 * database. `idx_users_username` keeps its name but now indexes lower(username): it is
 * stricter than the exact-case index and also serves case-insensitive lookups (login,
 * public profile). Fails if existing rows already differ only in case.
 */
export class CaseInsensitiveUsernames1700000001000 implements MigrationInterface {
  name = 'CaseInsensitiveUsernames1700000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_username_ci" ON "users" (lower("username"))`);
    await queryRunner.query(`DROP INDEX "idx_users_username"`);
    await queryRunner.query(`ALTER INDEX "idx_users_username_ci" RENAME TO "idx_users_username"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_users_username"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_username" ON "users" ("username")`);
  }
}
