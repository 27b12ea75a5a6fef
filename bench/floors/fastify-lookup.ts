import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { KEY_LOOKUP_SQL } from '../../src/streams/key-lookup.query.js';
import { floorPool, listenFastify, prepared, secretChecker } from './pool.js';

const KEY = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Serves the key lookup on `app` (listening on PORT, 127.0.0.1) with the floors' secret check
 * and the app's SQL as a named prepared statement, and exits 0 on SIGTERM. `observe` sees each
 * statement's duration and the decision, where the app records its metrics.
 */
export async function serveKeyLookup<Logger extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>,
  observe?: (seconds: number, outcome: string) => void,
): Promise<void> {
  const pool = floorPool();
  const secretOk = secretChecker();
  app.get<{ Params: { key: string } }>('/api/v1/ingest/keys/:key', async (req, reply) => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !secretOk(token ?? '')) return reply.code(401).send({ statusCode: 401 });
    if (!KEY.test(req.params.key)) return reply.code(404).send({ statusCode: 404 });
    try {
      const started = performance.now();
      const { rows } = await pool.query<{ status: string }>(prepared(KEY_LOOKUP_SQL, [req.params.key]));
      const stream = rows[0];
      const outcome =
        stream === undefined ? 'unknown' : stream.status === 'expired' || stream.status === 'disabled' ? stream.status : 'allowed';
      observe?.((performance.now() - started) / 1000, outcome);
      if (stream === undefined) return reply.code(404).send({ statusCode: 404 });
      if (outcome !== 'allowed') return reply.code(403).send({ statusCode: 403, reason: outcome });
      return stream;
    } catch {
      return reply.code(503).send({ statusCode: 503 });
    }
  });
  await listenFastify(app, pool);
}
