import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from './helpers/app.js';
import { aStream, aUser, type BuiltUser } from './helpers/builders.js';
import { adminQuery, createDatabase, runMigrationCli, serverUrl } from './helpers/database.js';
import { preparedStatementsPgBouncer, startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { describeWithTools } from './helpers/tools.js';

const binary = preparedStatementsPgBouncer();

/**
 * DB_PGBOUNCER_PREPARED_STATEMENTS=true: behind PgBouncer 1.21+ with max_prepared_statements,
 * the hot paths keep their named prepared statements (PostgreSQL parses and plans each once
 * per server connection) while transactions still share 3 server connections.
 */
describeWithTools('through PgBouncer 1.21+ with max_prepared_statements', [binary ?? 'pgbouncer>=1.21'], () => {
  let bouncer: PgBouncer;
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let t: TestApp;
  let owner: BuiltUser;
  let secret: string;

  beforeAll(async () => {
    bouncer = await startPgBouncer(serverUrl(), { binary, poolSize: 3, maxPreparedStatements: 200 });
    database = await createDatabase('bouncer_prepared');
    expect(await runMigrationCli(database.url)).toMatchObject({ code: 0 });
    t = await startTestApp({
      env: {
        DATABASE_URL: bouncer.url(database.name),
        DB_PGBOUNCER: 'true',
        DB_PGBOUNCER_PREPARED_STATEMENTS: 'true',
        MIGRATIONS_RUN: 'false',
        DB_POOL_MAX: '10',
        MAX_STREAMS_PER_USER: '0',
        MAX_LIVE_STREAMS_PER_USER: '0',
      },
    });
    secret = t.config.ingestSecret!;
    owner = await aUser(t);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await database?.drop();
  });

  const serverConnections = async () =>
    (await adminQuery(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [database.name])).rows[0].n as number;

  it('key lookups: every one answers, as a prepared statement bound again and again, not parsed each time', async () => {
    const streams = await Promise.all(Array.from({ length: 20 }, () => aStream(t, owner)));
    const before = await bouncer.stats(database.name);
    const answers = await Promise.all(
      Array.from({ length: 240 }, (_, i) => {
        const key = i % 12 === 11 ? `unknown-${i}` : streams[i % streams.length].streamKey;
        return t.http().get(`/api/v1/ingest/keys/${key}`).set('Authorization', `Bearer ${secret}`);
      }),
    );
    answers.forEach((res, i) => {
      if (i % 12 === 11) expect(res.status).toBe(404);
      else
        expect({ status: res.status, streamId: (res.body as { streamId: number }).streamId }).toEqual({
          status: 200,
          streamId: streams[i % 20].id,
        });
    });
    const after = await bouncer.stats(database.name);
    const binds = Number(after.total_bind_count) - Number(before.total_bind_count);
    const serverParses = Number(after.total_server_parse_count) - Number(before.total_server_parse_count);
    // PgBouncer counts prepared statements only: each lookup was one bind; the statement was
    // parsed on a server connection at most once per connection (others: the webhook worker's poll).
    expect(binds).toBeGreaterThanOrEqual(240);
    expect(serverParses).toBeLessThan(binds / 10);
    expect(await serverConnections()).toBeLessThanOrEqual(3);
  });

  it('nginx on_publish, on_update and on_publish_done: their transactions run on 3 server connections', async () => {
    const streams = await Promise.all(Array.from({ length: 16 }, () => aStream(t, owner, { reconnectWindowSeconds: 0 })));
    const hook = (call: 'on_publish' | 'on_update' | 'on_publish_done', key: string, clientId: number) =>
      t
        .http()
        .post(`/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(secret)}`)
        .type('form')
        .send(`app=live&addr=203.0.113.7&clientid=${clientId}&name=${key}&type=live${call === 'on_update' ? '&time=30' : ''}`);
    for (const call of ['on_publish', 'on_update', 'on_publish_done'] as const) {
      const statuses = await Promise.all(streams.map((s, i) => hook(call, s.streamKey, 5000 + i).then((res) => res.status)));
      expect({ call, statuses }).toEqual({ call, statuses: streams.map(() => 200) });
    }
    const db = t.app.get(DataSource);
    const [row] = await db.query<{ live: number; ended: number }[]>(
      `SELECT (SELECT count(*)::int FROM streams WHERE id = ANY($1) AND status = 'live') AS live,
              (SELECT count(*)::int FROM publish_sessions WHERE stream_id = ANY($1) AND end_reason = 'publish_done') AS ended`,
      [streams.map((s) => s.id)],
    );
    expect(row).toEqual({ live: 0, ended: 16 });
    expect(await serverConnections()).toBeLessThanOrEqual(3);
  });
});
