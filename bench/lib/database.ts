import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { APP_SCHEMA } from '../../src/app.schema.js';
import { databaseOptions } from '../../src/database/database.options.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { runMigrationsLocked } from '../../src/database/migrate.js';

// The migrations' Nest log lines (one per migration and database) are noise here.
Logger.overrideLogger(['error', 'warn']);

/**
 * The PostgreSQL server scratch databases are made on: DATABASE_URL when set, else an
 * embedded PostgreSQL 15 in a temporary directory. Every scratch database is dropped by
 * `close()` (also on Ctrl-C, through the runner's cleanup).
 */
export class DatabaseServer {
  private readonly scratch: string[] = [];
  private admin: pg.Client | undefined;

  private constructor(
    readonly url: string,
    private readonly embedded: EmbeddedDatabase | undefined,
  ) {}

  static async open(dir: string): Promise<DatabaseServer> {
    const given = process.env.DATABASE_URL;
    const embedded = given ? undefined : await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), persistent: false });
    const server = new DatabaseServer(given ?? embedded!.url, embedded);
    server.admin = await connect(server.url);
    return server;
  }

  get description(): string {
    return this.embedded ? 'embedded PostgreSQL 15 (temporary)' : `DATABASE_URL (${new URL(this.url).host})`;
  }

  /** A new, migrated database; returns its URL. */
  async create(label: string): Promise<string> {
    const name = `bench_${label}_${randomBytes(3).toString('hex')}`;
    await this.admin!.query(`CREATE DATABASE "${name}"`);
    this.scratch.push(name);
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    await runMigrationsLocked(
      databaseOptions({ databaseUrl, replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 600_000 }, APP_SCHEMA),
    );
    return databaseUrl;
  }

  async drop(databaseUrl: string): Promise<void> {
    const name = new URL(databaseUrl).pathname.slice(1);
    await this.admin?.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    this.scratch.splice(this.scratch.indexOf(name) >>> 0, 1);
  }

  async close(): Promise<void> {
    for (const name of [...this.scratch]) await this.admin?.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    this.scratch.length = 0;
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
    await this.embedded?.stop();
  }
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** `count` users `<prefix>1..count` (password: the given hash); returns nothing. */
export async function seedUsers(db: pg.Client, count: number, passwordHash = 'x', prefix = 'bench_'): Promise<void> {
  await db.query(
    `INSERT INTO users (username, email, password)
     SELECT $2 || i, $2 || i || '@example.test', $3 FROM generate_series(1, $1::int) i`,
    [count, prefix, passwordHash],
  );
}

/**
 * Adds streams until there are `total`, 43-character base64url keys like generated ones,
 * owned round-robin by the users (the i-th stream ever seeded by the
 * ((i - 1) mod users + 1)-th user in id order), all usable for 30 days; then VACUUM ANALYZE. Returns the first new id.
 */
export async function growStreams(db: pg.Client, total: number, salt: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM streams`);
  const { rows: seq } = await db.query<{ next: string }>(`SELECT coalesce(max(id), 0) + 1 AS next FROM streams`);
  for (let from = rows[0].n + 1; from <= total; from += 200_000) {
    const to = Math.min(total, from + 199_999);
    await db.query(
      `WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users)
       INSERT INTO streams (user_id, stream_key, status, expires_at)
       SELECT u.ids[1 + (i - 1) % array_length(u.ids, 1)],
              translate(rtrim(encode(sha256(convert_to($3 || i::text, 'UTF8')), 'base64'), '='), '+/', '-_'),
              'active', now() + interval '30 days'
       FROM u, generate_series($1::int, $2::int) i
       ORDER BY i`,
      [from, to, salt],
    );
  }
  await db.query(`VACUUM ANALYZE streams`);
  return Number(seq[0].next);
}

/** Writes `count` random keys of streams (optionally with ids in [fromId, toId]) to `file`, one a line. */
export async function writeKeys(db: pg.Client, file: string, count: number, range?: [number, number]): Promise<string[]> {
  const { rows } = range
    ? await db.query<{ stream_key: string }>(`SELECT stream_key FROM streams WHERE id BETWEEN $2 AND $3 ORDER BY random() LIMIT $1`, [
        count,
        range[0],
        range[1],
      ])
    : await db.query<{ stream_key: string }>(`SELECT stream_key FROM streams ORDER BY random() LIMIT $1`, [count]);
  const keys = rows.map((r) => r.stream_key);
  await writeFile(file, `${keys.join('\n')}\n`);
  return keys;
}
