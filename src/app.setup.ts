import { RequestMethod } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { API_PREFIX, isMachineRoute, routeOf } from './common/routes.js';
import { securityHeaders } from './common/security-headers.js';
import type { ResolvedConfig } from './config/app-config.js';
import { setupApiDocs, type DocumentedRoute } from './docs/api-docs.js';
import { HEALTH_LIVE_DOC } from './health/health-live.route.js';
import { INGEST_KEYS_DOC } from './ingest/ingest-keys.route.js';
import { NGINX_RTMP_DOCS } from './ingest/nginx-rtmp.routes.js';
import { rememberRoute } from './logging/log-url.js';
import { logRequestCompleted, requestId, rootLogger } from './logging/logging.options.js';

export { API_PREFIX };
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The HTTP server settings, shared by main.ts and the test harness. */
export function createFastifyAdapter(config: ResolvedConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Stream keys written by older services may be up to 255 characters, percent-encoded in the lookup's path.
    routerOptions: { maxParamLength: 1024 },
    trustProxy: trustProxy(config.trustProxy),
    // Slow clients must not pin sockets forever.
    requestTimeout: 30_000,
    // JSON logs through the app's pino logger; one line per request, written by logRequestCompleted.
    loggerInstance: rootLogger(config),
    logController: new LogController({ disableRequestLogging: true }),
    // X-Request-ID when sane, else a UUID; logged with every line of the request and echoed back.
    genReqId: requestId,
    // Fastify's router rejects a malformed URL (400) or an over-long parameter (414)
    // before Nest sees the request, in Fastify's own error shape; answer in Nest's.
    // (Replaces the adapter's handler, which only adds the headers of Nest's built-in
    // security hook; this app does not enable it.)
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const statusCode = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void reply.code(statusCode).send({ statusCode, message: error.message, error: STATUS_CODES[statusCode] });
      // Fastify runs no onResponse hook for a request its router refused: its log line is written here.
      logRequestCompleted(request, reply, () => undefined);
    },
  });
  const fastify = adapter.getInstance();
  // Security headers (helmet's defaults, computed once) on everything a browser may read;
  // the default Content-Security-Policy suits /docs (no inline scripts there).
  const security = securityHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!isMachineRoute(routeOf(request))) reply.headers(security);
    done();
  });
  fastify.addHook('onResponse', logRequestCompleted);
  // Tokens, stream keys and webhook secrets must not stay in a browser's or a proxy's cache:
  // nothing is cacheable but the public docs, and nothing at all that a request with
  // credentials gets. onSend runs after the handler, so no route can opt out by accident.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.headers.authorization !== undefined || !routeOf(request)?.startsWith('/docs')) reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });
  // The words of every route, so a log line for an unmatched path keeps those and redacts the rest.
  fastify.addHook('onRoute', (route) => rememberRoute(route.url));
  return adapter;
}

/**
 * TRUST_PROXY for Fastify: `true`, a list of proxy IPs/CIDRs (preferred: only those peers
 * may set X-Forwarded-For), or a hop count. Fastify 5.12 ignores a numeric hop count (it
 * trusts nobody, silently), so a count becomes a function trusting that many hops: the
 * API must then be reachable only through the proxies.
 */
function trustProxy(setting: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  const hops = setting;
  return (_address, hop) => hop < hops;
}

/** Routes served by Fastify directly (hot paths), for the OpenAPI document. */
export const FASTIFY_ROUTES: readonly DocumentedRoute[] = [HEALTH_LIVE_DOC, INGEST_KEYS_DOC, ...NGINX_RTMP_DOCS];

/** App-level settings that cannot be expressed as module providers. */
export function configureApp(app: NestFastifyApplication, config: ResolvedConfig): NestFastifyApplication {
  // Probes, metrics and docs live at the root; the REST API under /api/v1.
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  // Browsers may call the API cross-origin only from the configured origins (none by default).
  if (config.corsOrigins.length > 0) {
    app.enableCors({ origin: config.corsOrigins, credentials: false, maxAge: 600 });
  }
  setupApiDocs(app, FASTIFY_ROUTES);
  return app;
}
