import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { Stream } from '../src/streams/stream.entity.js';
import { User } from '../src/users/user.entity.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminQuery, createDatabase, runMigrationCli, serverUrl } from './helpers/database.js';
import { startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { describeWithTools } from './helpers/tools.js';
import { bodyOf, type HealthBody } from './helpers/bodies.js';

describeWithTools('through PgBouncer in transaction pooling mode', ['pgbouncer'], () => {
  let bouncer: PgBouncer;
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    bouncer = await startPgBouncer(serverUrl(), { poolSize: 3 });
    database = await createDatabase('bouncer');
    const migrated = await runMigrationCli(database.url);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.output).toContain('Applied migration InitialSchema1700000000000');
    // The server-side statement timeout, set where PgBouncer does not get in the way (docs/operations.md).
    await adminQuery(`ALTER DATABASE "${database.name}" SET statement_timeout = '400ms'`);
    t = await startTestApp({
      env: {
        DATABASE_URL: bouncer.url(database.name),
        DB_PGBOUNCER: 'true',
        MIGRATIONS_RUN: 'false',
        DB_POOL_MAX: '10',
        DB_STATEMENT_TIMEOUT_MS: '2000',
      },
    });
    dataSource = t.app.get(DataSource);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await database?.drop();
  });

  it('PgBouncer refuses statement_timeout as a startup parameter: why DB_PGBOUNCER exists', async () => {
    const client = new pg.Client({ connectionString: bouncer.url(database.name), statement_timeout: 5000 });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
    await client.end().catch(() => undefined);
  });

  it('DB_PGBOUNCER=true refuses MIGRATIONS_RUN=true (a session advisory lock does not survive transaction pooling)', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: bouncer.url(database.name), DB_PGBOUNCER: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: bouncer.url(database.name), DB_PGBOUNCER: 'true' })).toThrow(
      /MIGRATIONS_RUN must be false/,
    );
  });

  it('probes and metrics answer', async () => {
    expect(bodyOf<HealthBody>(await t.http().get('/health').expect(200)).info.database.status).toBe('up');
    await t.http().get('/health/ready').expect(200);
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/streamly_db_pool_connections\{pool="primary"\} [1-9]/);
  });

  it('many concurrent transactions share 3 server connections without mixing state', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        dataSource.transaction(async (manager) => {
          const suffix = `${i}_${randomBytes(3).toString('hex')}`;
          const user = await manager.save(User, { username: `pb_${suffix}`, email: `pb_${suffix}@example.com`, passwordHash: 'x' });
          await manager.save(Stream, {
            userId: user.id,
            streamKey: randomBytes(24).toString('base64url'),
            expiresAt: new Date(Date.now() + 60_000),
          });
          const [{ count }] = await manager.query<{ count: number }[]>('SELECT count(*)::int AS count FROM streams WHERE user_id = $1', [
            user.id,
          ]);
          return count;
        }),
      ),
    );
    expect(results).toEqual(Array(40).fill(1));
    const [{ users }] = await dataSource.query<{ users: number }[]>(
      "SELECT count(*)::int AS users FROM users WHERE username LIKE 'pb\\_%'",
    );
    expect(users).toBe(40);
    const [{ servers }] = await adminQuery(`SELECT count(*)::int AS servers FROM pg_stat_activity WHERE datname = $1`, [
      database.name,
    ]).then((r) => r.rows);
    expect(servers).toBeLessThanOrEqual(3);
  });

  it('a failed transaction rolls back and the unique constraint still decides (23505 arrives through PgBouncer)', async () => {
    const name = `pb_dup_${randomBytes(3).toString('hex')}`;
    await dataSource.getRepository(User).save({ username: name, email: `${name}@example.com`, passwordHash: 'x' });
    const duplicate = dataSource.transaction(async (manager) => {
      await manager.save(Stream, {
        userId: (await manager.findOneByOrFail(User, { username: name })).id,
        streamKey: randomBytes(24).toString('base64url'),
        expiresAt: new Date(),
      });
      await manager.save(User, { username: name, email: `other_${name}@example.com`, passwordHash: 'x' });
    });
    await expect(duplicate).rejects.toMatchObject({ driverError: { code: '23505' } });
    const [{ streams }] = await dataSource.query<{ streams: number }[]>(
      'SELECT count(*)::int AS streams FROM streams s JOIN users u ON u.id = s.user_id WHERE u.username = $1',
      [name],
    );
    expect(streams).toBe(0);
  });

  it('the statement timeout set on the database applies through PgBouncer, and the connection stays usable', async () => {
    expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '400ms' }]);
    const slow = dataSource.query('SELECT pg_sleep(2)');
    await expect(slow).rejects.toBeInstanceOf(QueryFailedError);
    await expect(slow).rejects.toMatchObject({ driverError: { code: '57014' } });
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
