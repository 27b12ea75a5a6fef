import Fastify, { LogController } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { routeOf } from '../../src/common/routes.js';
import { logRequestCompleted, requestId, rootLogger } from '../../src/logging/logging.options.js';
import { KEY_LOOKUP_SQL } from '../../src/streams/key-lookup.query.js';
import { floorPool, prepared, secretChecker } from './pool.js';

/**
 * A reference beside the key lookup's floors: bare Fastify (no Nest) doing the lookup plus
 * only the per-request work the contract asks of every answer, with the app's own code where
 * it has it: the request id (X-Request-Id, a UUID when the caller sent none), the one log
 * line, Cache-Control: no-store, and the three Prometheus observations (request duration,
 * statement duration, ingest decision). Its gap to the bare Fastify floor is what that work
 * costs; the app's gap beyond it is Nest's adapter and the app's own structure.
 */
const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const pool = floorPool();
const secretOk = secretChecker();
const registers = [new Registry()];
const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'as the app',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});
const statementDuration = new Histogram({
  name: 'streamly_db_statement_duration_seconds',
  help: 'as the app',
  labelNames: ['statement'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});
const decisions = new Counter({
  name: 'streamly_ingest_decisions_total',
  help: 'as the app',
  labelNames: ['adapter', 'outcome'],
  registers,
});

const app = Fastify({
  loggerInstance: rootLogger({ logLevel: 'info', nodeEnv: 'production' }),
  logController: new LogController({ disableRequestLogging: true }),
  genReqId: requestId,
  routerOptions: { maxParamLength: 1024 },
  requestTimeout: 30_000,
});
app.addHook('onRequest', (request, reply, done) => {
  reply.header('X-Request-Id', request.id);
  done();
});
app.addHook('onSend', (_request, reply, payload, done) => {
  reply.header('Cache-Control', 'no-store');
  done(null, payload);
});
app.addHook('onResponse', (request, reply, done) => {
  httpDuration.observe(
    { method: request.method, route: routeOf(request) ?? '', status_code: String(reply.statusCode) },
    reply.elapsedTime / 1000,
  );
  logRequestCompleted(request, reply, done);
});

app.get<{ Params: { key: string } }>('/api/v1/ingest/keys/:key', async (req, reply) => {
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !secretOk(token ?? '')) return reply.code(401).send({ statusCode: 401 });
  if (!KEY.test(req.params.key)) return reply.code(404).send({ statusCode: 404 });
  try {
    const started = performance.now();
    const { rows } = await pool.query<{ status: string }>(prepared(KEY_LOOKUP_SQL, [req.params.key]));
    statementDuration.observe({ statement: 'key_lookup' }, (performance.now() - started) / 1000);
    const stream = rows[0];
    const outcome =
      stream === undefined ? 'unknown' : stream.status === 'expired' || stream.status === 'disabled' ? stream.status : 'allowed';
    decisions.inc({ adapter: 'keys', outcome });
    if (stream === undefined) return reply.code(404).send({ statusCode: 404 });
    if (outcome !== 'allowed') return reply.code(403).send({ statusCode: 403, reason: outcome });
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
