import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server every suite shares (set by test/global-setup.ts). */
export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the suite through `npm test`');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, empty database on the shared server, so suites never see each other's rows. */
export async function createDatabase(prefix = 't'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase();
  await adminQuery(`CREATE DATABASE "${name}"`);
  return {
    name,
    url: withDatabase(serverUrl(), name),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Rows are `unknown` per column unless the caller says what the statement returns. */
type Row = Record<string, unknown>;

export async function adminQuery<R extends pg.QueryResultRow = Row>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  return query<R>(serverUrl(), sql, params);
}

export async function query<R extends pg.QueryResultRow = Row>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query<R>(sql, params);
  } finally {
    await client.end();
  }
}

/** `node dist/src/migrate.cli.js` (what `npm run migration:run:locked` and the deploy Job run), straight to `databaseUrl`. */
export function runMigrationCli(databaseUrl: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['dist/src/migrate.cli.js'],
      { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, NODE_ENV: 'test' } },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}
