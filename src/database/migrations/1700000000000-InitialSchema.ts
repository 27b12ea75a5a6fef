import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The original schema, word for word (shared/original-schema.sql). Never edit it;
 * later migrations only add.
 */
export const ORIGINAL_SCHEMA_SQL = `
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    username VARCHAR(50) UNIQUE NOT NULL,
    email VARCHAR(255) UNIQUE NOT NULL,
    password TEXT NOT NULL,
    first_name VARCHAR(100),
    last_name VARCHAR(100),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_users_username ON users(username);
CREATE INDEX idx_users_email ON users(email);
CREATE TABLE streams (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    stream_key VARCHAR(255) UNIQUE NOT NULL,
    status VARCHAR(50) DEFAULT 'active',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_streams_user_id ON streams(user_id);
CREATE INDEX idx_streams_stream_key ON streams(stream_key);
CREATE INDEX idx_streams_status ON streams(status);
CREATE INDEX idx_streams_expires_at ON streams(expires_at);
`;

const ORIGINAL_TABLES = ['users', 'streams'];
/** Built here for the comparison and dropped again, inside this migration's transaction. */
const REFERENCE_SCHEMA = 'streamly_original_reference';

/**
 * Creates the original schema on an empty database, or adopts a database that an
 * older Streamly service made with that DDL: its tables are compared with the DDL
 * (built in a scratch schema of the same transaction) and, when they match, left as
 * they are, rows and all; this migration is then recorded as applied and the later
 * ones run. Anything else stops the start with a list of what differs.
 */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = ((await queryRunner.query(`SELECT current_schema() AS name`)) as { name: string }[])[0].name;
    const present = (
      (await queryRunner.query(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`,
        [schema, ORIGINAL_TABLES],
      )) as { name: string }[]
    ).map((row) => row.name);
    if (present.length === 0) {
      await queryRunner.query(ORIGINAL_SCHEMA_SQL);
      return;
    }
    await queryRunner.query(`CREATE SCHEMA ${REFERENCE_SCHEMA}`);
    await queryRunner.query(`SET LOCAL search_path = ${REFERENCE_SCHEMA}`);
    await queryRunner.query(ORIGINAL_SCHEMA_SQL);
    await queryRunner.query(`SET LOCAL search_path = "${schema}"`);
    const differences = await compareSchemas(queryRunner, REFERENCE_SCHEMA, schema);
    await queryRunner.query(`DROP SCHEMA ${REFERENCE_SCHEMA} CASCADE`);
    if (differences.length > 0) {
      throw new Error(
        `the database has tables named ${present.join(' and ')} but no Streamly migrations table, and they are not ` +
          `the original Streamly schema, so it is not adopted (nothing was changed): ${differences.join('; ')}`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE streams`);
    await queryRunner.query(`DROP TABLE users`);
  }
}

interface CatalogRow {
  key: string;
  definition: string;
}

/** Columns, indexes and constraints of the original tables, schema names stripped so two schemas compare. */
async function catalog(queryRunner: QueryRunner, schema: string): Promise<Map<string, string>> {
  const strip = (text: string) => text.split(`${schema}.`).join('').split(`"${schema}".`).join('');
  const rows = [
    ...((await queryRunner.query(
      `SELECT 'column ' || table_name || '.' || column_name AS key,
              concat_ws(' ', data_type, '(' || character_maximum_length || ')',
                        CASE WHEN is_nullable = 'NO' THEN 'NOT NULL' ELSE 'NULL' END, 'DEFAULT ' || column_default) AS definition
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
      [schema, ORIGINAL_TABLES],
    )) as CatalogRow[]),
    ...((await queryRunner.query(
      `SELECT 'index ' || indexname AS key, regexp_replace(indexdef, ' ON \\S+ USING ', ' ON USING ') AS definition
       FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2)`,
      [schema, ORIGINAL_TABLES],
    )) as CatalogRow[]),
    ...((await queryRunner.query(
      `SELECT 'constraint ' || c.conname || ' on ' || t.relname AS key, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = $1 AND t.relname = ANY($2)`,
      [schema, ORIGINAL_TABLES],
    )) as CatalogRow[]),
  ];
  return new Map(rows.map((row) => [row.key, strip(row.definition)]));
}

async function compareSchemas(queryRunner: QueryRunner, referenceSchema: string, schema: string): Promise<string[]> {
  const expected = await catalog(queryRunner, referenceSchema);
  const found = await catalog(queryRunner, schema);
  const differences: string[] = [];
  for (const [key, definition] of expected) {
    const actual = found.get(key);
    if (actual === undefined) differences.push(`${key} is missing (expected ${definition})`);
    else if (actual !== definition) differences.push(`${key} is ${actual} (expected ${definition})`);
  }
  for (const [key, definition] of found) if (!expected.has(key)) differences.push(`${key} is not in the original (${definition})`);
  return differences.sort();
}
