import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Publish sessions for live periods and more servers: the live period a session
 * belongs to, why it ended, whether it sends heartbeats (nginx on_update, SRS on_hls:
 * only those are closed by the quiet-session sweep), MediaMTX as an ingest, and an
 * index for the retention sweep.
 */
export class LiveSessionRecords1700000003100 implements MigrationInterface {
  name = 'LiveSessionRecords1700000003100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "publish_sessions" ADD "live_period_id" bigint`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" ADD "end_reason" character varying(16)`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" ADD "heartbeat" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`UPDATE "publish_sessions" SET "heartbeat" = true WHERE "ingest" = 'nginx'`);
    await queryRunner.query(
      `ALTER TABLE "publish_sessions" ADD CONSTRAINT "fk_publish_sessions_live_period_id" FOREIGN KEY ("live_period_id") REFERENCES "stream_live_periods" ("id") ON DELETE SET NULL`,
    );
    await queryRunner.query(`CREATE INDEX "idx_publish_sessions_live_period_id" ON "publish_sessions" ("live_period_id")`);
    await queryRunner.query(`CREATE INDEX "idx_publish_sessions_ended_at" ON "publish_sessions" ("ended_at") WHERE "ended_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP CONSTRAINT "chk_publish_sessions_ingest"`);
    await queryRunner.query(
      `ALTER TABLE "publish_sessions" ADD CONSTRAINT "chk_publish_sessions_ingest" CHECK ("ingest" IN ('nginx', 'srs', 'mediamtx'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "publish_sessions" WHERE "ingest" = 'mediamtx'`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP CONSTRAINT "chk_publish_sessions_ingest"`);
    await queryRunner.query(
      `ALTER TABLE "publish_sessions" ADD CONSTRAINT "chk_publish_sessions_ingest" CHECK ("ingest" IN ('nginx', 'srs'))`,
    );
    await queryRunner.query(`DROP INDEX "idx_publish_sessions_ended_at"`);
    await queryRunner.query(`DROP INDEX "idx_publish_sessions_live_period_id"`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP CONSTRAINT "fk_publish_sessions_live_period_id"`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP COLUMN "heartbeat"`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP COLUMN "end_reason"`);
    await queryRunner.query(`ALTER TABLE "publish_sessions" DROP COLUMN "live_period_id"`);
  }
}
