import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { inTransaction } from '../../src/database/in-transaction.js';
import { UtcClient, utcTypes } from '../../src/database/utc-client.js';

/**
 * The floors' pg pool: the app's connection settings (src/database/database.options.ts:
 * pool size DB_POOL_MAX, the same timeouts, keep-alive, UTC client), without TypeORM.
 */
export function floorPool(): pg.Pool {
  const timeout = Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 5000);
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DB_POOL_MAX ?? 10),
    connectionTimeoutMillis: Number(process.env.DB_CONNECT_TIMEOUT_MS ?? 2000),
    statement_timeout: timeout,
    query_timeout: timeout + 1000,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    application_name: 'streamly-floor',
    Client: UtcClient,
    types: utcTypes,
  });
  pool.on('error', () => undefined);
  return pool;
}

const names = new Map<string, string>();

/** A named prepared statement (one name per distinct text, as pg requires), like the app's src/database/sql.ts. */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `floor_${names.size}`));
  return { name, text, values };
}

/** BEGIN … COMMIT on one connection: the app's own helper (src/database/in-transaction.ts, pg only, no Nest). */
export const transaction = inTransaction;

/** The INGEST_SECRET check of the app's IngestSecretGuard: SHA-256 digests compared in constant time. */
export function secretChecker(): (given: string | undefined) => boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const expected = digest(process.env.INGEST_SECRET ?? '');
  return (given) => given !== undefined && timingSafeEqual(digest(given), expected);
}

export function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** Listens on PORT (127.0.0.1) and exits 0 on SIGTERM after closing `pool`. */
export function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, pool?: pg.Pool): void {
  const server = http.createServer((req, res) => {
    handler(req, res).catch(() => send(res, 500, { statusCode: 500 }));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 3001), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    server.closeIdleConnections();
    void (pool?.end() ?? Promise.resolve()).then(() => process.exit(0));
  });
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Fastify's counterpart of `serve`: listens on PORT (127.0.0.1) and exits 0 on SIGTERM after closing `app` and `pool`. */
export async function listenFastify(
  app: { listen(options: { port: number; host: string }): Promise<unknown>; close(): Promise<unknown> },
  pool: pg.Pool,
): Promise<void> {
  await app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' });
  process.on(
    'SIGTERM',
    () =>
      void app
        .close()
        .then(() => pool.end())
        .then(() => process.exit(0)),
  );
}
