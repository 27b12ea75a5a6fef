import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { APP_SCHEMA } from '../src/app.schema.js';
import { databaseOptions } from '../src/database/database.options.js';
import { pendingSchemaChanges } from '../src/database/migration-check.js';
import { createDatabase, query, serverUrl } from './helpers/database.js';
import { describeWithTools, findTool } from './helpers/tools.js';

/** A copy of shared/original-schema.sql, so a clone without shared/ tests the same thing. */
const ORIGINAL_SQL_FILE = join(import.meta.dirname, 'fixtures', 'original-schema.sql');
const SHARED_ORIGINAL = join(import.meta.dirname, '..', '..', 'shared', 'original-schema.sql');

const options = (url: string) =>
  databaseOptions({ databaseUrl: url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 30_000 }, APP_SCHEMA);

/** The catalog of users/streams, row for row: columns, indexes, constraints. */
async function catalog(url: string, tables = ['users', 'streams']) {
  const columns = await query(
    url,
    `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable, column_default
     FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
    [tables],
  );
  const indexes = await query(
    url,
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY indexname`,
    [tables],
  );
  const constraints = await query(
    url,
    `SELECT t.relname, c.conname, c.contype, c.confdeltype, pg_get_constraintdef(c.oid) AS def
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace ORDER BY c.conname`,
    [tables],
  );
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
}

async function migrated(url: string, only?: string): Promise<void> {
  const dataSource = new DataSource(options(url));
  await dataSource.initialize();
  try {
    if (only) {
      await dataSource.query(
        'CREATE TABLE IF NOT EXISTS "migrations" ("id" SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)',
      );
      await dataSource.migrations.find((m) => m.name === only)!.up(dataSource.createQueryRunner());
    } else {
      await dataSource.runMigrations({ transaction: 'each' });
    }
  } finally {
    await dataSource.destroy();
  }
}

describeWithTools('migration 1 is the original schema, word for word', ['psql'], () => {
  let fromDdl: Awaited<ReturnType<typeof createDatabase>>;
  let fromMigration: Awaited<ReturnType<typeof createDatabase>>;

  beforeAll(async () => {
    fromDdl = await createDatabase('ddl');
    fromMigration = await createDatabase('mig1');
    await promisify(execFile)(findTool('psql')!, ['-v', 'ON_ERROR_STOP=1', '-q', '-d', fromDdl.url, '-f', ORIGINAL_SQL_FILE]);
    await migrated(fromMigration.url, 'InitialSchema1700000000000');
  });
  afterAll(async () => {
    await fromDdl?.drop();
    await fromMigration?.drop();
  });

  it('the fixture is shared/original-schema.sql', () => {
    if (existsSync(SHARED_ORIGINAL)) expect(readFileSync(ORIGINAL_SQL_FILE, 'utf8')).toBe(readFileSync(SHARED_ORIGINAL, 'utf8'));
  });

  it('columns, indexes and constraints match `psql -f original-schema.sql` row for row', async () => {
    const expected = await catalog(fromDdl.url);
    const actual = await catalog(fromMigration.url);
    expect(actual.columns).toEqual(expected.columns);
    expect(actual.indexes).toEqual(expected.indexes);
    expect(actual.constraints).toEqual(expected.constraints);
    // The substance, spelled out: SERIAL ids, TIMESTAMP without zone, TEXT password, the six indexes, cascade.
    expect(actual.columns.find((c) => c.table_name === 'users' && c.column_name === 'id')).toMatchObject({ data_type: 'integer' });
    expect(actual.columns.find((c) => c.column_name === 'expires_at')).toMatchObject({
      data_type: 'timestamp without time zone',
      is_nullable: 'NO',
    });
    expect(actual.columns.find((c) => c.column_name === 'password')).toMatchObject({ data_type: 'text' });
    expect(actual.indexes.map((i) => i.indexname).filter((n) => String(n).startsWith('idx_'))).toEqual([
      'idx_streams_expires_at',
      'idx_streams_status',
      'idx_streams_stream_key',
      'idx_streams_user_id',
      'idx_users_email',
      'idx_users_username',
    ]);
    expect(actual.constraints.find((c) => c.contype === 'f')).toMatchObject({ confdeltype: 'c' });
  });

  it('later migrations change no original column: every column of users/streams is as the DDL made it', async () => {
    const full = await createDatabase('full');
    try {
      await migrated(full.url);
      const original = await catalog(fromDdl.url);
      const now = await catalog(full.url);
      for (const column of original.columns) expect(now.columns).toContainEqual(column);
      // Added columns are nullable or defaulted, so older INSERTs keep working.
      for (const column of now.columns.filter(
        (c) => !original.columns.some((o) => o.column_name === c.column_name && o.table_name === c.table_name),
      )) {
        expect(column.is_nullable === 'YES' || column.column_default !== null).toBe(true);
      }
      // The original constraints are all still there, unchanged.
      for (const constraint of original.constraints) expect(now.constraints).toContainEqual(constraint);
      await query(full.url, `INSERT INTO users (username, email, password) VALUES ('old_service', 'old@example.com', 'x')`);
      await query(
        full.url,
        `INSERT INTO streams (user_id, stream_key, expires_at) SELECT id, 'live_0123abcd', now() + interval '1 day' FROM users`,
      );
    } finally {
      await full.drop();
    }
  });
});

describe('all migrations', () => {
  it('apply and revert one by one down to an empty database', async () => {
    const db = await createDatabase('revert');
    const dataSource = new DataSource(options(db.url));
    try {
      await dataSource.initialize();
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.length).toBe(dataSource.migrations.length);
      expect(applied[0].name).toBe('InitialSchema1700000000000');
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      const { rows } = await query(db.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
      expect(rows.map((r) => r.tablename)).toEqual(['migrations']);
      expect((await query(db.url, 'SELECT count(*)::int AS n FROM migrations')).rows[0].n).toBe(0);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    }
  });

  it('agree with the entities (what `npm run migration:check` proves)', async () => {
    expect(await pendingSchemaChanges(serverUrl(), APP_SCHEMA)).toEqual([]);
  });
});
