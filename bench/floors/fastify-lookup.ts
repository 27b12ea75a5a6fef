import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type pg from 'pg';
import { KEY_LOOKUP_SQL } from '../../src/streams/key-lookup.query.js';
import { floorPool, listenFastify, prepared, secretChecker } from './pool.js';

const KEY = /^[A-Za-z0-9_-]{1,64}$/;

type LookupRequest = Pick<FastifyRequest<{ Params: { key: string } }>, 'headers' | 'params'>;
type LookupReply = { code(statusCode: number): { send(payload: unknown): unknown } };

/**
 * The Fastify floors' lookup handler: the floors' secret check, then the app's SQL as a named
 * prepared statement on `pool`. `observe` sees each statement's duration and the decision,
 * where the app records its metrics. Also run on its own by bench/lookup-path.bench.ts.
 */
export function keyLookupHandler(
  pool: pg.Pool,
  observe?: (seconds: number, outcome: string) => void,
): (req: LookupRequest, reply: LookupReply) => Promise<unknown> {
  const secretOk = secretChecker();
  return async (req, reply) => {
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
  };
}

/** Serves keyLookupHandler on `app` (listening on PORT, 127.0.0.1), and exits 0 on SIGTERM. */
export async function serveKeyLookup<Logger extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>,
  observe?: (seconds: number, outcome: string) => void,
): Promise<void> {
  const pool = floorPool();
  const handler = keyLookupHandler(pool, observe);
  app.get<{ Params: { key: string } }>('/api/v1/ingest/keys/:key', (req, reply: FastifyReply) => handler(req, reply));
  await listenFastify(app, pool);
}
