import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhook endpoints and their deliveries (the outbox itself, stream_events, belongs to streams). */
export class AddWebhooks1700000004010 implements MigrationInterface {
  name = 'AddWebhooks1700000004010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "webhooks" (
        "id" SERIAL NOT NULL,
        "user_id" integer,
        "url" character varying(2048) NOT NULL,
        "events" text array,
        "enabled" boolean NOT NULL DEFAULT true,
        "secret" text NOT NULL,
        "previous_secret" text,
        "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_webhooks" PRIMARY KEY ("id"),
        CONSTRAINT "fk_webhooks_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "idx_webhooks_user_id" ON "webhooks" ("user_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_webhooks_operator" ON "webhooks" ((true)) WHERE "user_id" IS NULL`);
    await queryRunner.query(`
      CREATE TABLE "webhook_deliveries" (
        "id" BIGSERIAL NOT NULL,
        "webhook_id" integer NOT NULL,
        "event_seq" bigint NOT NULL,
        "event_id" uuid NOT NULL,
        "event_type" character varying(32) NOT NULL,
        "stream_id" integer NOT NULL,
        "payload" text NOT NULL,
        "status" character varying(16) NOT NULL DEFAULT 'pending',
        "attempts" integer NOT NULL DEFAULT 0,
        "last_status_code" integer,
        "last_error" character varying(500),
        "next_attempt_at" TIMESTAMP WITH TIME ZONE,
        "retry_until" TIMESTAMP WITH TIME ZONE NOT NULL,
        "lease_token" uuid,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "delivered_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "pk_webhook_deliveries" PRIMARY KEY ("id"),
        CONSTRAINT "uq_webhook_deliveries_event" UNIQUE ("webhook_id", "event_id"),
        CONSTRAINT "chk_webhook_deliveries_status" CHECK ("status" IN ('pending', 'delivered', 'failed')),
        CONSTRAINT "fk_webhook_deliveries_webhook_id" FOREIGN KEY ("webhook_id") REFERENCES "webhooks" ("id") ON DELETE CASCADE
      )`);
    // Claims: which endpoints have something due, and what is due for one endpoint (only queue heads have a time);
    // queues: the pending deliveries of one stream for one endpoint, in event order.
    await queryRunner.query(
      `CREATE INDEX "idx_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_webhook_deliveries_endpoint_due" ON "webhook_deliveries" ("webhook_id", "next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_webhook_deliveries_stream_order" ON "webhook_deliveries" ("webhook_id", "stream_id", "event_seq") WHERE "status" = 'pending'`,
    );
    // Metrics (oldest pending), the housekeeping prune, the owner's delivery log.
    await queryRunner.query(
      `CREATE INDEX "idx_webhook_deliveries_pending_age" ON "webhook_deliveries" ("created_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_webhook_deliveries_delivered_at" ON "webhook_deliveries" ("delivered_at") WHERE "status" = 'delivered'`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_deliveries_log" ON "webhook_deliveries" ("webhook_id", "created_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
  }
}
