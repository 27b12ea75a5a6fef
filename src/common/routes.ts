import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The REST API's prefix; probes, metrics and docs are served at the root. */
export const API_PREFIX = 'api/v1';

const INGEST_ROUTES = `/${API_PREFIX}/ingest/`;

/**
 * Routes only machines call: ingest servers, probes, Prometheus. No browser reads their
 * answers, so they skip the per-request work that exists for browsers and people (security
 * headers, the request's logging context); they are also the hottest routes of all.
 * `url` is the matched route's template (undefined when nothing matched).
 */
export function isMachineRoute(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith(INGEST_ROUTES) || url === '/metrics' || url === '/health' || url.startsWith('/health/'));
}

/**
 * Routes orchestrators and Prometheus call every few seconds (probes, scrapes): their
 * successful answers are counted in the metrics but not logged line by line.
 */
export function isProbeRoute(url: string | undefined): boolean {
  return url === '/health' || url === '/health/live' || url === '/health/ready' || url === '/metrics';
}

const ROUTE = Symbol('route');
type WithRoute = FastifyRequest & { [ROUTE]?: string | null };

/**
 * The matched route's template, undefined when none matched. Fastify builds
 * `request.routeOptions` (a dozen fields) anew on every access, and the hooks of every
 * request ask several times (security headers, log context, cache control, metrics, the
 * log line); this reads it once.
 */
export function routeOf(request: FastifyRequest): string | undefined {
  const remembered = (request as WithRoute)[ROUTE];
  if (remembered !== undefined) return remembered ?? undefined;
  const url = request.routeOptions.url;
  (request as WithRoute)[ROUTE] = url ?? null;
  return url;
}

/**
 * The app's Fastify instance, for modules that add routes or hooks to it; undefined in Nest's
 * preview mode (the OpenAPI generator builds no server) and with any other adapter.
 */
export function fastifyOf(host: HttpAdapterHost): FastifyInstance | undefined {
  const adapter = host.httpAdapter;
  return adapter?.getType() === 'fastify' ? adapter.getInstance<FastifyInstance>() : undefined;
}
