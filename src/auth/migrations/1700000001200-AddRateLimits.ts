import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters shared by every instance (login and sign-up attempts per
 * client). UNLOGGED: counters need no crash safety or replication, and skipping
 * the WAL keeps the per-attempt upsert cheap. No index besides the key: the
 * periodic sweep scans a small table, and updates stay HOT.
 */
export class AddRateLimits1700000001200 implements MigrationInterface {
  name = 'AddRateLimits1700000001200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE UNLOGGED TABLE "rate_limits" (
        "key" text NOT NULL,
        "hits" integer NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "blocked_until" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "pk_rate_limits" PRIMARY KEY ("key")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "rate_limits"`);
  }
}
