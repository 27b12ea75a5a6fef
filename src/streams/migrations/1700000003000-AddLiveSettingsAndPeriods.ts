import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live ingest settings per stream (added columns with defaults: older INSERTs keep
 * working) and the live periods: from the first publish until the last publisher
 * left and the reconnect window passed (or the period was cut off). A stream has at
 * most one open period. `idle_at` is the window's end while nobody publishes.
 */
export class AddLiveSettingsAndPeriods1700000003000 implements MigrationInterface {
  name = 'AddLiveSettingsAndPeriods1700000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "streams" ADD "reconnect_window_seconds" integer NOT NULL DEFAULT 60`);
    await queryRunner.query(`ALTER TABLE "streams" ADD "max_continuous_seconds" integer NOT NULL DEFAULT 43200`);
    await queryRunner.query(
      `ALTER TABLE "streams" ADD CONSTRAINT "chk_streams_reconnect_window_seconds" CHECK ("reconnect_window_seconds" BETWEEN 0 AND 1800)`,
    );
    await queryRunner.query(
      `ALTER TABLE "streams" ADD CONSTRAINT "chk_streams_max_continuous_seconds" CHECK ("max_continuous_seconds" BETWEEN 60 AND 86400)`,
    );
    // The per-user live limit counts these: only live rows are in it, so it stays tiny.
    await queryRunner.query(`CREATE INDEX "idx_streams_user_live" ON "streams" ("user_id") WHERE "status" = 'live'`);
    await queryRunner.query(`
      CREATE TABLE "stream_live_periods" (
        "id" BIGSERIAL NOT NULL,
        "stream_id" integer NOT NULL,
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "idle_at" TIMESTAMP WITH TIME ZONE,
        "ended_at" TIMESTAMP WITH TIME ZONE,
        "end_reason" character varying(16),
        CONSTRAINT "pk_stream_live_periods" PRIMARY KEY ("id"),
        CONSTRAINT "fk_stream_live_periods_stream_id" FOREIGN KEY ("stream_id") REFERENCES "streams" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "idx_stream_live_periods_stream_id" ON "stream_live_periods" ("stream_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_stream_live_periods_open" ON "stream_live_periods" ("stream_id") WHERE "ended_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_stream_live_periods_idle_at" ON "stream_live_periods" ("idle_at") WHERE "ended_at" IS NULL AND "idle_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stream_live_periods"`);
    await queryRunner.query(`DROP INDEX "idx_streams_user_live"`);
    await queryRunner.query(`ALTER TABLE "streams" DROP CONSTRAINT "chk_streams_max_continuous_seconds"`);
    await queryRunner.query(`ALTER TABLE "streams" DROP CONSTRAINT "chk_streams_reconnect_window_seconds"`);
    await queryRunner.query(`ALTER TABLE "streams" DROP COLUMN "max_continuous_seconds"`);
    await queryRunner.query(`ALTER TABLE "streams" DROP COLUMN "reconnect_window_seconds"`);
  }
}
