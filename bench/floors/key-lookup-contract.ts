import Fastify, { LogController } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { routeOf } from '../../src/common/routes.js';
import { logRequestCompleted, requestId, rootLogger } from '../../src/logging/logging.options.js';
import { HTTP_DURATION, INGEST_DECISIONS, STATEMENT_DURATION } from '../../src/metrics/metrics.service.js';
import { serveKeyLookup } from './fastify-lookup.js';

/**
 * A reference beside the key lookup's floors: bare Fastify (no Nest) doing the lookup plus
 * only the per-request work the contract asks of every answer, with the app's own code where
 * it has it: the request id (X-Request-Id, a UUID when the caller sent none), the one log
 * line, Cache-Control: no-store, and the three Prometheus observations (request duration,
 * statement duration, ingest decision). Its gap to the bare Fastify floor is what that work
 * costs; the app's gap beyond it is Nest's adapter and the app's own structure.
 */
const registers = [new Registry()];
const httpDuration = new Histogram({ ...HTTP_DURATION, registers });
const statementDuration = new Histogram({ ...STATEMENT_DURATION, registers });
const decisions = new Counter({ ...INGEST_DECISIONS, registers });

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

await serveKeyLookup(app, (seconds, outcome) => {
  statementDuration.observe({ statement: 'key_lookup' }, seconds);
  decisions.inc({ adapter: 'keys', outcome });
});
