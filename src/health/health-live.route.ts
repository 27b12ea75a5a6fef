import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { HealthCheckResult } from '@nestjs/terminus';
import { fastifyOf } from '../common/routes.js';
import type { DocumentedRoute } from '../docs/api-docs.js';

/** What Terminus answers for a check of no indicators, serialized once. */
const LIVE: HealthCheckResult = { status: 'ok', info: {}, error: {}, details: {} };
const LIVE_JSON = JSON.stringify(LIVE);

/**
 * GET /health/live, liveness: the event loop answers. Never touches the database, so a
 * database outage does not restart pods. A plain Fastify route answering a constant:
 * orchestrators call it every few seconds on every pod, and Nest's per-request pipeline was
 * most of its cost (`npm run bench`, README). The global hooks (request id, log line,
 * metrics) run as for every route. Documented by HEALTH_LIVE_DOC.
 */
@Injectable()
export class HealthLiveRoute implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    fastifyOf(this.adapterHost)?.get('/health/live', (_request, reply) => reply.type('application/json; charset=utf-8').send(LIVE_JSON));
  }
}

/** The same entry as GET /health's (Terminus documents both alike and does not export its schema), under its own operation id. */
export const HEALTH_LIVE_DOC: DocumentedRoute = {
  path: '/health/live',
  models: [],
  item: (document) => ({ get: { ...document.paths['/health'].get!, operationId: 'HealthController_live' } }),
};
