import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The original schema: users and their streams. Never edit; add a new migration instead. */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" character varying(50) NOT NULL,
        "email" character varying(255) NOT NULL,
        "password" character varying(255) NOT NULL,
        "first_name" character varying(100),
        "last_name" character varying(100),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_users" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_username" ON "users" ("username")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email" ON "users" ("email")`);

    await queryRunner.query(`
      CREATE TABLE "streams" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "stream_key" character varying(64) NOT NULL,
        "status" character varying(20) NOT NULL DEFAULT 'active',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_streams" PRIMARY KEY ("id"),
        CONSTRAINT "chk_streams_status" CHECK ("status" IN ('active', 'live', 'disabled', 'expired')),
        CONSTRAINT "fk_streams_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "idx_streams_user_id" ON "streams" ("user_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_streams_stream_key" ON "streams" ("stream_key")`);
    await queryRunner.query(`CREATE INDEX "idx_streams_status" ON "streams" ("status")`);
    await queryRunner.query(`CREATE INDEX "idx_streams_expires_at" ON "streams" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "streams"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
