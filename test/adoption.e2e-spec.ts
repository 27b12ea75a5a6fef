import { expect } from '@jest/globals';
import bcrypt from 'bcrypt';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { APP_SCHEMA } from '../src/app.schema.js';
import { bearer, login } from './helpers/accounts.js';
import { startApiProcess } from './helpers/api-process.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { createDatabase, query } from './helpers/database.js';
import { describeWithTools, findTool } from './helpers/tools.js';
import { bodyOf, type ErrorBody, type StreamPageBody, type UserBody } from './helpers/bodies.js';

const run = promisify(execFile);
const ORIGINAL_SQL_FILE = join(import.meta.dirname, 'fixtures', 'original-schema.sql');
const PASSWORD = 'legacy password 1';

/** A database exactly as an older Streamly service left it: made by the original DDL, with its rows. */
async function legacyDatabase(prefix: string) {
  const db = await createDatabase(prefix);
  await run(findTool('psql')!, ['-v', 'ON_ERROR_STOP=1', '-q', '-d', db.url, '-f', ORIGINAL_SQL_FILE]);
  return db;
}

/** bcrypt hashes as other implementations write them: same algorithm, other prefix. */
const hashWithPrefix = async (prefix: '$2a$' | '$2b$' | '$2y$', cost = 4) => prefix + (await bcrypt.hash(PASSWORD, cost)).slice(4);

describeWithTools('adopting a database made by the original DDL, rows and all', ['psql'], () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  let t: TestApp;
  const ingest = () => bearer(t.config.ingestSecret);
  const untouched = () =>
    query(db.url, `SELECT * FROM streams WHERE stream_key IN ('orphan_key', 'banned-key', 'null-status-key', 'no-created-at') ORDER BY id`);
  let before: unknown[];

  beforeAll(async () => {
    db = await legacyDatabase('adopt');
    // An older service's rows, in a session that is not UTC, written with its own defaults.
    await query(
      db.url,
      `INSERT INTO users (username, email, password, first_name) VALUES
         ('php_user', 'PHP.User@Example.COM', $1, 'Php'),
         ('node_user', 'node@example.com', $2, NULL),
         ('old_user', 'old@example.com', $3, NULL)`,
      [await hashWithPrefix('$2y$'), await hashWithPrefix('$2a$'), await hashWithPrefix('$2b$')],
    );
    await query(
      db.url,
      `INSERT INTO streams (user_id, stream_key, status, expires_at, created_at) VALUES
         (1, 'live_0123456789abcdef0123456789abcdef', 'active', now() + interval '1 day', now() - interval '2 days'),
         (1, '6f1c2e7a-8d4b-4c3e-9f0a-1b2c3d4e5f60', 'active', now() + interval '1 day', now() - interval '1 day'),
         (1, 'banned-key', 'banned', now() + interval '1 day', now()),
         (1, 'null-status-key', NULL, now() + interval '1 day', now()),
         (1, 'no-created-at', 'active', now() + interval '1 day', NULL),
         (NULL, 'orphan_key', 'active', now() + interval '1 day', now())`,
    );
    before = (await untouched()).rows;
    t = await startTestApp({ env: { DATABASE_URL: db.url, BCRYPT_COST: '5' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('records migration 1 as applied and runs the later ones, keeping every row', async () => {
    const { rows } = await query(db.url, 'SELECT name FROM migrations ORDER BY id');
    expect(rows.map((row) => row.name)).toHaveLength(APP_SCHEMA.migrations.length + 1);
    expect(rows[0].name).toBe('InitialSchema1700000000000');
    expect((await query(db.url, 'SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(3);
    expect((await query(db.url, 'SELECT count(*)::int AS n FROM streams')).rows[0].n).toBe(6);
  });

  it.each([
    ['$2y$ (PHP)', 'php_user'],
    ['$2a$', 'node_user'],
    ['$2b$', 'old_user'],
  ])('logs in with a %s hash, and a hash below BCRYPT_COST is replaced by one at it', async (_kind, username) => {
    const session = await login(t, username, PASSWORD);
    expect(session.user).toMatchObject({ username, id: expect.any(Number) });
    const { rows } = await query(db.url, 'SELECT password FROM users WHERE username = $1', [username]);
    expect(rows[0].password).toMatch(/^\$2b\$05\$/);
    await login(t, username, PASSWORD); // the new hash works too
  });

  it('a mixed-case email still logs in, and still collides with its lower-case form', async () => {
    expect((await login(t, 'php.user@example.com', PASSWORD)).user.email).toBe('PHP.User@Example.COM');
    const res = await t
      .http()
      .post('/api/v1/users')
      .send({ username: 'someone_new', email: 'php.user@example.com', password: 'a new password' });
    expect(res.status).toBe(409);
  });

  it('lists the legacy streams to their owner: odd and NULL statuses as disabled, no created_at last; the orphan to nobody', async () => {
    const owner = await login(t, 'php_user', PASSWORD);
    const res = await t.http().get('/api/v1/streams?limit=2').set(bearer(owner.accessToken)).expect(200);
    const all = [...bodyOf<StreamPageBody>(res).items];
    let cursor = bodyOf<StreamPageBody>(res).nextCursor;
    while (cursor) {
      const page = await t.http().get(`/api/v1/streams?limit=2&cursor=${cursor}`).set(bearer(owner.accessToken)).expect(200);
      all.push(...bodyOf<StreamPageBody>(page).items);
      cursor = bodyOf<StreamPageBody>(page).nextCursor;
    }
    // Newest first (a tie on created_at broken by id), rows without created_at last.
    expect(all.map((s) => s.streamKey)).toEqual([
      'null-status-key',
      'banned-key',
      '6f1c2e7a-8d4b-4c3e-9f0a-1b2c3d4e5f60',
      'live_0123456789abcdef0123456789abcdef',
      'no-created-at',
    ]);
    expect(all).toHaveLength(5);
    expect(all.at(-1)).toMatchObject({ streamKey: 'no-created-at', createdAt: null, status: 'active' });
    expect(all.find((s) => s.streamKey === 'banned-key')).toMatchObject({ status: 'disabled', id: expect.any(Number), userId: 1 });
    expect(all.find((s) => s.streamKey === 'null-status-key')).toMatchObject({ status: 'disabled' });
    expect(all.some((s) => s.streamKey === 'orphan_key')).toBe(false);
    const disabled = await t.http().get('/api/v1/streams?status=disabled').set(bearer(owner.accessToken)).expect(200);
    expect(
      bodyOf<StreamPageBody>(disabled)
        .items.map((s: { streamKey: string }) => s.streamKey)
        .sort(),
    ).toEqual(['banned-key', 'null-status-key']);
  });

  it('looks up legacy keys of any format; refuses odd statuses and orphans', async () => {
    for (const key of ['live_0123456789abcdef0123456789abcdef', '6f1c2e7a-8d4b-4c3e-9f0a-1b2c3d4e5f60']) {
      const res = await t.http().get(`/api/v1/ingest/keys/${key}`).set(ingest()).expect(200);
      expect(res.body).toMatchObject({ userId: 1, username: 'php_user', status: 'active', streamId: expect.any(Number) });
    }
    expect(bodyOf<ErrorBody>(await t.http().get('/api/v1/ingest/keys/banned-key').set(ingest()).expect(403)).reason).toBe('disabled');
    expect(bodyOf<ErrorBody>(await t.http().get('/api/v1/ingest/keys/null-status-key').set(ingest()).expect(403)).reason).toBe('disabled');
    await t.http().get('/api/v1/ingest/keys/orphan_key').set(ingest()).expect(404);
    await t
      .http()
      .get(`/api/v1/ingest/keys/${'k'.repeat(256)}`)
      .set(ingest())
      .expect(404);
    await t.http().get('/api/v1/ingest/keys/with%01control').set(ingest()).expect(404);
  });

  it('nginx on_publish / on_publish_done on a legacy key: live, then waiting out the default reconnect window', async () => {
    const key = 'live_0123456789abcdef0123456789abcdef';
    const form = (call: string) => `call=${call}&app=live&name=${key}&clientid=77&addr=10.0.0.9`;
    const hook = (path: string, call: string) =>
      t
        .http()
        .post(`/api/v1/ingest/nginx/${path}?secret=${encodeURIComponent(t.config.ingestSecret)}`)
        .type('form')
        .send(form(call));
    await hook('on_publish', 'publish').expect(200);
    expect((await query(db.url, 'SELECT status FROM streams WHERE stream_key = $1', [key])).rows[0].status).toBe('live');
    await hook('on_publish_done', 'publish_done').expect(200);
    // The row got the added columns' defaults: a 60 s reconnect window, which its live period now waits out.
    const { rows } = await query(
      db.url,
      `SELECT s.status, s.reconnect_window_seconds AS "window", p.idle_at > now() + interval '50 seconds' AS waiting
       FROM streams s JOIN stream_live_periods p ON p.stream_id = s.id AND p.ended_at IS NULL WHERE s.stream_key = $1`,
      [key],
    );
    expect(rows).toEqual([{ status: 'live', window: 60, waiting: true }]);
    await t
      .http()
      .post(`/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(t.config.ingestSecret)}`)
      .type('form')
      .send('call=publish&app=live&name=orphan_key&clientid=78')
      .expect(403);
  });

  it('new accounts and streams take the next integer ids; rows nobody touched are unchanged; older INSERTs still work', async () => {
    const res = await t
      .http()
      .post('/api/v1/users')
      .send({ username: 'brand_new', email: 'brand@example.com', password: 'a new password' })
      .expect(201);
    // The SERIAL sequences go on from the legacy rows (a refused sign-up above used up one value).
    expect(bodyOf<UserBody>(res).id).toBeGreaterThan(3);
    const session = await login(t, 'brand_new', 'a new password');
    const stream = await t.http().post('/api/v1/streams').set(bearer(session.accessToken)).send({}).expect(201);
    expect(stream.body).toMatchObject({ id: 7, userId: bodyOf<UserBody>(res).id });
    // Unchanged but for the columns later migrations added, with their defaults.
    expect((await untouched()).rows).toEqual(
      before.map((row) => ({ ...(row as object), reconnect_window_seconds: 60, max_continuous_seconds: 43_200 })),
    );
    await query(db.url, `INSERT INTO users (username, email, password) VALUES ('later_service', 'later@example.com', 'x')`);
    await query(
      db.url,
      `INSERT INTO streams (user_id, stream_key, expires_at) SELECT id, 'later_key', now() + interval '1 day' FROM users WHERE username = 'later_service'`,
    );
    await t.http().get('/api/v1/ingest/keys/later_key').set(ingest()).expect(200);
  });
});

describeWithTools('a database that breaks a later migration’s rule is left as it was', ['psql'], () => {
  it('exits 1 naming the case-variant usernames and emails; starts once the operator fixed them', async () => {
    const db = await legacyDatabase('conflict');
    try {
      await query(
        db.url,
        `INSERT INTO users (username, email, password) VALUES
           ('Bob', 'bob@example.com', 'h'), ('bob', 'other@example.com', 'h'), ('carol', 'Carol@Example.com', 'h'), ('carol2', 'carol@example.com', 'h')`,
      );
      const failed = await startApiProcess({ env: { DATABASE_URL: db.url }, waitUntilListening: false });
      const { code } = await failed.exited;
      const output = failed.output.join('\n');
      expect(code).toBe(1);
      expect(output).toContain(`'Bob' and 'bob'`);
      expect(output).toContain(`'Carol@Example.com' and 'carol@example.com'`);
      expect(output).toContain('unique ignoring case');
      // The failing migration was rolled back: the original index, all rows.
      expect(
        (await query(db.url, `SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_users_username'`)).rows[0].indexdef,
      ).not.toContain('lower');
      expect((await query(db.url, 'SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(4);

      await query(db.url, `UPDATE users SET username = 'bob_2' WHERE username = 'bob'`);
      await query(db.url, `UPDATE users SET email = 'carol2@example.com' WHERE username = 'carol2'`);
      const fixed = await startApiProcess({ env: { DATABASE_URL: db.url } });
      try {
        expect((await fetch(`${fixed.url}/health/ready`)).status).toBe(200);
      } finally {
        await fixed.stop();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('a schema that is neither empty, nor the original, nor ours stops the start and says what differs', async () => {
    const db = await createDatabase('foreign');
    try {
      await query(db.url, `CREATE TABLE users (id uuid PRIMARY KEY, username text)`);
      const failed = await startApiProcess({ env: { DATABASE_URL: db.url }, waitUntilListening: false });
      expect((await failed.exited).code).toBe(1);
      const output = failed.output.join('\n');
      expect(output).toContain('not the original Streamly schema');
      expect(output).toContain('column users.id is uuid');
      expect(
        (await query(db.url, `SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id'`)).rows,
      ).toEqual([{ data_type: 'uuid' }]);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
