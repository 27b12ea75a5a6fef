import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a refresh-token family (one login session) began, copied on every rotation, so
 * a session ends JWT_REFRESH_ABSOLUTE_TTL_SECONDS after its login however often it is
 * refreshed. Existing families get their oldest remaining token's creation time (the
 * sweep may have deleted older ones: never earlier than the truth, so no session is
 * cut short by the upgrade).
 */
export class AddRefreshTokenFamilyStart1700000005000 implements MigrationInterface {
  name = 'AddRefreshTokenFamilyStart1700000005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD "family_started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`
      UPDATE "refresh_tokens" t SET "family_started_at" = f.started
      FROM (SELECT "family_id", min("created_at") AS started FROM "refresh_tokens" GROUP BY "family_id") f
      WHERE t."family_id" = f."family_id"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "family_started_at"`);
  }
}
