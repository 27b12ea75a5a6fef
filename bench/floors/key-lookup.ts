import { KEY_LOOKUP_SQL } from '../../src/streams/key-lookup.query.js';
import { floorPool, prepared, secretChecker, send, serve } from './pool.js';

/**
 * The floor of the ingest key lookup (GET /api/v1/ingest/keys/:key): bare node:http and
 * pg, the app's pool settings, the same secret check and the very same query as the
 * app, nothing else (no framework, validation, filters, logging or metrics). With
 * FLOOR_PREPARED=1 the query is a named prepared statement, as the app sends it
 * (src/database/sql.ts); without, an unnamed one (parsed and planned every time).
 */
const PREFIX = '/api/v1/ingest/keys/';
const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const PREPARED = process.env.FLOOR_PREPARED === '1';

const pool = floorPool();
const secretOk = secretChecker();

serve(async (req, res) => {
  const url = req.url ?? '';
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !secretOk(token ?? '')) return send(res, 401, { statusCode: 401 });
  if (req.method !== 'GET' || !url.startsWith(PREFIX)) return send(res, 404, { statusCode: 404 });
  const key = decodeURIComponent(url.slice(PREFIX.length).split('?')[0]);
  if (!KEY.test(key)) return send(res, 404, { statusCode: 404 });
  try {
    const { rows } = await pool.query<{ status: string }>(
      PREPARED ? prepared(KEY_LOOKUP_SQL, [key]) : { text: KEY_LOOKUP_SQL, values: [key] },
    );
    if (rows.length === 0) return send(res, 404, { statusCode: 404 });
    const stream = rows[0];
    if (stream.status === 'expired') return send(res, 403, { statusCode: 403, reason: 'expired' });
    if (stream.status === 'disabled') return send(res, 403, { statusCode: 403, reason: 'disabled' });
    return send(res, 200, stream);
  } catch {
    return send(res, 503, { statusCode: 503 });
  }
}, pool);
