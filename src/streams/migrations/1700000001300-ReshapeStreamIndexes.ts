import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two original stream indexes reshaped for their queries, under their original names
 * (operators and docs refer to them):
 * - idx_streams_user_id: the owner's newest-first keyset pages,
 *   ORDER BY created_at DESC NULLS LAST, id DESC (rows of older services may lack created_at);
 * - idx_streams_expires_at: the expiry sweep's list of rows still to rewrite (statuses of older
 *   services are never rewritten, so they are not in it).
 */
export class ReshapeStreamIndexes1700000001300 implements MigrationInterface {
  name = 'ReshapeStreamIndexes1700000001300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_streams_user_id_reshaped" ON "streams" ("user_id", "created_at" DESC NULLS LAST, "id" DESC)`,
    );
    await queryRunner.query(`DROP INDEX "idx_streams_user_id"`);
    await queryRunner.query(`ALTER INDEX "idx_streams_user_id_reshaped" RENAME TO "idx_streams_user_id"`);
    await queryRunner.query(
      `CREATE INDEX "idx_streams_expires_at_reshaped" ON "streams" ("expires_at") WHERE "status" IN ('active', 'live', 'disabled')`,
    );
    await queryRunner.query(`DROP INDEX "idx_streams_expires_at"`);
    await queryRunner.query(`ALTER INDEX "idx_streams_expires_at_reshaped" RENAME TO "idx_streams_expires_at"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_streams_expires_at"`);
    await queryRunner.query(`CREATE INDEX "idx_streams_expires_at" ON "streams" ("expires_at")`);
    await queryRunner.query(`DROP INDEX "idx_streams_user_id"`);
    await queryRunner.query(`CREATE INDEX "idx_streams_user_id" ON "streams" ("user_id")`);
  }
}
