import Fastify from 'fastify';
import { KEY_LOOKUP_SQL } from '../../src/streams/key-lookup.query.js';
import { floorPool, prepared, secretChecker } from './pool.js';

/**
 * A reference beside the key lookup's floor: the same secret check and the same named
 * prepared statement, served by bare Fastify (no logger, hooks or metrics). Its ratio to the
 * node:http floor is what Fastify itself costs; the app's gap beyond it is its own
 * per-request work.
 */
const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const pool = floorPool();
const secretOk = secretChecker();
const app = Fastify({ routerOptions: { maxParamLength: 1024 } });

app.get<{ Params: { key: string } }>('/api/v1/ingest/keys/:key', async (req, reply) => {
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !secretOk(token ?? '')) return reply.code(401).send({ statusCode: 401 });
  if (!KEY.test(req.params.key)) return reply.code(404).send({ statusCode: 404 });
  try {
    const { rows } = await pool.query<{ status: string }>(prepared(KEY_LOOKUP_SQL, [req.params.key]));
    const stream = rows[0];
    if (stream === undefined) return reply.code(404).send({ statusCode: 404 });
    if (stream.status === 'expired' || stream.status === 'disabled')
      return reply.code(403).send({ statusCode: 403, reason: stream.status });
    return stream;
  } catch {
    return reply.code(503).send({ statusCode: 503 });
  }
});

await app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' });
process.on(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0)),
);
