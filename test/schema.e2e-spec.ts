import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/database/database.options.js';
import { pendingSchemaChanges } from '../src/database/migration-check.js';
import { createDatabase, query, serverUrl } from './helpers/database.js';

/** The first migration must create exactly the original schema, and revert to nothing. */
describe('initial migration on an empty database', () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createDatabase('schema');
    dataSource = new DataSource(
      databaseOptions({ databaseUrl: db.url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 30_000 }),
    );
    await dataSource.initialize();
    // Only the first migration: later ones are checked by their own features.
    await dataSource.query('CREATE TABLE IF NOT EXISTS "migrations" ("id" SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)');
    const initial = dataSource.migrations.find((m) => m.name === 'InitialSchema1700000000000')!;
    await initial.up(dataSource.createQueryRunner());
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const columns = async (table: string) =>
    (
      await query(
        db.url,
        `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    ).rows;

  it('creates users with the original columns, types, nullability and defaults', async () => {
    expect(await columns('users')).toEqual([
      { column_name: 'id', data_type: 'uuid', len: null, is_nullable: 'NO', column_default: 'gen_random_uuid()' },
      { column_name: 'username', data_type: 'character varying', len: 50, is_nullable: 'NO', column_default: null },
      { column_name: 'email', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'password', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'first_name', data_type: 'character varying', len: 100, is_nullable: 'YES', column_default: null },
      { column_name: 'last_name', data_type: 'character varying', len: 100, is_nullable: 'YES', column_default: null },
      { column_name: 'created_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'updated_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
    ]);
  });

  it('creates streams with the original columns, types, nullability and defaults', async () => {
    expect(await columns('streams')).toEqual([
      { column_name: 'id', data_type: 'uuid', len: null, is_nullable: 'NO', column_default: 'gen_random_uuid()' },
      { column_name: 'user_id', data_type: 'uuid', len: null, is_nullable: 'NO', column_default: null },
      { column_name: 'stream_key', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'status', data_type: 'character varying', len: 20, is_nullable: 'NO', column_default: "'active'::character varying" },
      { column_name: 'created_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'updated_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'expires_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: null },
    ]);
  });

  it('creates exactly the six named indexes (plus primary keys), unique where identity demands', async () => {
    const { rows } = await query(
      db.url,
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('users', 'streams') ORDER BY indexname`,
    );
    expect(rows.map((r) => r.indexname)).toEqual([
      'idx_streams_expires_at',
      'idx_streams_status',
      'idx_streams_stream_key',
      'idx_streams_user_id',
      'idx_users_email',
      'idx_users_username',
      'pk_streams',
      'pk_users',
    ]);
    const def = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef as string]));
    expect(def.idx_users_username).toMatch(/^CREATE UNIQUE INDEX .* \(username\)$/);
    expect(def.idx_users_email).toMatch(/^CREATE UNIQUE INDEX .* \(email\)$/);
    expect(def.idx_streams_stream_key).toMatch(/^CREATE UNIQUE INDEX .* \(stream_key\)$/);
    expect(def.idx_streams_user_id).toMatch(/^CREATE INDEX .* \(user_id\)$/);
    expect(def.idx_streams_status).toMatch(/^CREATE INDEX .* \(status\)$/);
    expect(def.idx_streams_expires_at).toMatch(/^CREATE INDEX .* \(expires_at\)$/);
  });

  it('deletes a user’s streams with the user (ON DELETE CASCADE) and refuses unknown statuses', async () => {
    const { rows } = await query(db.url, `INSERT INTO users (username, email, password) VALUES ('cascade', 'c@example.com', 'x') RETURNING id`);
    await query(db.url, `INSERT INTO streams (user_id, stream_key, expires_at) VALUES ($1, 'k1', now() + interval '1 day')`, [rows[0].id]);
    await expect(
      query(db.url, `INSERT INTO streams (user_id, stream_key, status, expires_at) VALUES ($1, 'k2', 'bogus', now())`, [rows[0].id]),
    ).rejects.toThrow(/chk_streams_status/);
    await query(db.url, `DELETE FROM users WHERE id = $1`, [rows[0].id]);
    expect((await query(db.url, 'SELECT count(*)::int AS n FROM streams')).rows[0].n).toBe(0);
    const fk = await query(
      db.url,
      `SELECT confdeltype FROM pg_constraint WHERE conname = 'fk_streams_user_id' AND contype = 'f'`,
    );
    expect(fk.rows).toEqual([{ confdeltype: 'c' }]);
  });

  it('reverts to an empty schema', async () => {
    const initial = dataSource.migrations.find((m) => m.name === 'InitialSchema1700000000000')!;
    await initial.down(dataSource.createQueryRunner());
    const { rows } = await query(db.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    expect(rows.map((r) => r.tablename)).toEqual(['migrations']);
  });
});

describe('all migrations', () => {
  it('apply and revert one by one down to an empty database', async () => {
    const db = await createDatabase('revert');
    const dataSource = new DataSource(
      databaseOptions({ databaseUrl: db.url, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 30_000 }),
    );
    try {
      await dataSource.initialize();
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.length).toBe(dataSource.migrations.length);
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
    expect(await pendingSchemaChanges(serverUrl())).toEqual([]);
  });
});
