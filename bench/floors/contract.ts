import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { routeOf } from '../../src/common/routes.js';
import { logRequestCompleted, requestId, rootLogger } from '../../src/logging/logging.options.js';
import { HTTP_DURATION, INGEST_DECISIONS, STATEMENT_DURATION } from '../../src/metrics/metrics.service.js';

/** Where a contract floor records what the app records per statement and per decision. */
export interface ContractMetrics {
  statement(name: string, seconds: number): void;
  decision(adapter: string, outcome: string): void;
}

/** The server options the per-request contract needs: the app's logger (one line per request, written by the hook) and request ids. */
export function contractOptions(): Pick<
  FastifyServerOptions,
  'loggerInstance' | 'logController' | 'genReqId' | 'routerOptions' | 'requestTimeout'
> {
  return {
    loggerInstance: rootLogger({ logLevel: 'info', nodeEnv: 'production' }),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: 30_000,
  };
}

/**
 * Adds to `app` only the per-request work the contract asks of every answer, with the app's
 * own code where it has it: the request id (X-Request-Id, a UUID when the caller sent none),
 * the one log line, Cache-Control: no-store, and the Prometheus observations (request
 * duration here; statement durations and ingest decisions through the returned metrics,
 * where the floor's route runs them). `app` must have been made with contractOptions().
 */
export function addContractHooks(app: FastifyInstance): ContractMetrics {
  const registers = [new Registry()];
  const httpDuration = new Histogram({ ...HTTP_DURATION, registers });
  const statementDuration = new Histogram({ ...STATEMENT_DURATION, registers });
  const decisions = new Counter({ ...INGEST_DECISIONS, registers });
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
  return {
    statement: (statement, seconds) => statementDuration.observe({ statement }, seconds),
    decision: (adapter, outcome) => decisions.inc({ adapter, outcome }),
  };
}

/**
 * Bare Fastify (no Nest) with the per-request contract (addContractHooks). A floor built on
 * it, beside the bare floor doing the same SQL, splits the app's gap: what that work costs,
 * and what is the app's own.
 */
export function contractFastify(): { app: FastifyInstance; metrics: ContractMetrics } {
  const app = Fastify(contractOptions()) as unknown as FastifyInstance;
  return { app, metrics: addContractHooks(app) };
}
