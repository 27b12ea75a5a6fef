import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Publish sessions: who is publishing which stream, through which ingest server. */
export class AddPublishSessions1700000002000 implements MigrationInterface {
  name = 'AddPublishSessions1700000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "publish_sessions" (
        "id" BIGSERIAL NOT NULL,
        "stream_id" integer NOT NULL,
        "ingest" character varying(16) NOT NULL,
        "client_id" character varying(128) NOT NULL,
        "server_addr" character varying(64) NOT NULL,
        "remote_addr" character varying(128),
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "ended_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "pk_publish_sessions" PRIMARY KEY ("id"),
        CONSTRAINT "chk_publish_sessions_ingest" CHECK ("ingest" IN ('nginx', 'srs')),
        CONSTRAINT "fk_publish_sessions_stream_id" FOREIGN KEY ("stream_id") REFERENCES "streams" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "idx_publish_sessions_stream_id" ON "publish_sessions" ("stream_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "idx_publish_sessions_open_client" ON "publish_sessions" ("ingest", "server_addr", "client_id") WHERE "ended_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_publish_sessions_open_last_seen" ON "publish_sessions" ("last_seen_at") WHERE "ended_at" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "publish_sessions"`);
  }
}
