import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { KEY_LOOKUP_SQL } from '../src/streams/key-lookup.query.js';

/**
 * The physical floor of the ingest key lookup on this stack: bare `node:http`
 * and `pg`, the same pool size, the same secret check and the very same single
 * indexed query as the app, nothing else (no framework, no validation, no
 * filters). The benchmark reports the app's throughput as a ratio of this.
 */
const PREFIX = '/api/v1/ingest/keys/';
const KEY = /^[A-Za-z0-9_-]{1,64}$/;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
pool.on('error', () => undefined);
const expected = digest(process.env.INGEST_SECRET ?? '');

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '';
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !timingSafeEqual(digest(token ?? ''), expected)) return send(res, 401, { statusCode: 401 });
  if (req.method !== 'GET' || !url.startsWith(PREFIX)) return send(res, 404, { statusCode: 404 });
  const key = decodeURIComponent(url.slice(PREFIX.length).split('?')[0]);
  if (!KEY.test(key)) return send(res, 404, { statusCode: 404 });
  try {
    const { rows } = await pool.query<{ status: string }>(KEY_LOOKUP_SQL, [key]);
    if (rows.length === 0) return send(res, 404, { statusCode: 404 });
    const stream = rows[0];
    if (stream.status === 'expired') return send(res, 403, { statusCode: 403, reason: 'expired' });
    if (stream.status === 'disabled') return send(res, 403, { statusCode: 403, reason: 'disabled' });
    return send(res, 200, stream);
  } catch {
    return send(res, 503, { statusCode: 503 });
  }
}

// handle() answers every request itself, database errors included (503): nothing is left to await.
const server = http.createServer((req, res) => void handle(req, res));

server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 3001), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
