import type { MigrationInterface, QueryRunner } from 'typeorm';
import { STREAM_EVENT_TYPES } from '../stream-events.sql.js';

/**
 * The outbox of stream changes, and a NOTIFY on `streamly_stream_events` when a
 * transaction inserted some (delivered at its commit), so the webhook dispatcher
 * wakes at once instead of waiting for its next poll.
 */
export class AddStreamEvents1700000004000 implements MigrationInterface {
  name = 'AddStreamEvents1700000004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "stream_events" (
        "seq" BIGSERIAL NOT NULL,
        "id" uuid NOT NULL,
        "type" character varying(32) NOT NULL,
        "stream_id" integer NOT NULL,
        "user_id" integer,
        "stream" jsonb NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "dispatched_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "pk_stream_events" PRIMARY KEY ("seq"),
        CONSTRAINT "uq_stream_events_id" UNIQUE ("id"),
        CONSTRAINT "chk_stream_events_type" CHECK ("type" IN (${STREAM_EVENT_TYPES.map((type) => `'${type}'`).join(', ')}))
      )`);
    await queryRunner.query(`CREATE INDEX "idx_stream_events_undispatched" ON "stream_events" ("seq") WHERE "dispatched_at" IS NULL`);
    await queryRunner.query(
      `CREATE INDEX "idx_stream_events_dispatched_at" ON "stream_events" ("dispatched_at") WHERE "dispatched_at" IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "streamly_notify_stream_events"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted) THEN
          PERFORM pg_notify('streamly_stream_events', '');
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "trg_stream_events_notify" AFTER INSERT ON "stream_events"
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION "streamly_notify_stream_events"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stream_events"`);
    await queryRunner.query(`DROP FUNCTION "streamly_notify_stream_events"()`);
  }
}
