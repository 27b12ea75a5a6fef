import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The periodic sweep deletes expired refresh tokens oldest first; without this index every run scans the table. */
export class IndexRefreshTokenExpiry1700000003000 implements MigrationInterface {
  name = 'IndexRefreshTokenExpiry1700000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_refresh_tokens_expires_at" ON "refresh_tokens" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_refresh_tokens_expires_at"`);
  }
}
