import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames and emails are unique ignoring case ("Bob" and "bob" are one name;
 * "Ada@Example.com" is "ada@example.com"), decided by the database. The original
 * indexes idx_users_username and idx_users_email keep their names but now index
 * lower(...) uniquely: stricter than the originals, and they serve the
 * case-insensitive lookups of login and profiles. The original UNIQUE constraints
 * stay as they are.
 *
 * A database adopted from an older service may already hold names that differ only
 * in case: this migration then fails, naming them, and changes nothing.
 */
export class CaseInsensitiveUserIndexes1700000001000 implements MigrationInterface {
  name = 'CaseInsensitiveUserIndexes1700000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const conflicts: string[] = [];
    for (const column of ['username', 'email']) {
      const rows = (await queryRunner.query(
        `SELECT string_agg(quote_literal(${column}), ' and ' ORDER BY id) AS "values"
         FROM users GROUP BY lower(${column}) HAVING count(*) > 1 ORDER BY min(id) LIMIT 20`,
      )) as { values: string }[];
      for (const row of rows) conflicts.push(`${column}s ${row.values} differ only in case`);
    }
    if (conflicts.length > 0) {
      throw new Error(
        `users break the rule that usernames and emails are unique ignoring case: ${conflicts.join('; ')}. ` +
          'Rename or merge those accounts (UPDATE users SET ... WHERE id = ...), then start again; nothing was changed',
      );
    }
    for (const column of ['username', 'email']) {
      await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_${column}_ci" ON "users" (lower("${column}"))`);
      await queryRunner.query(`DROP INDEX "idx_users_${column}"`);
      await queryRunner.query(`ALTER INDEX "idx_users_${column}_ci" RENAME TO "idx_users_${column}"`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['username', 'email']) {
      await queryRunner.query(`DROP INDEX "idx_users_${column}"`);
      await queryRunner.query(`CREATE INDEX "idx_users_${column}" ON "users" ("${column}")`);
    }
  }
}
