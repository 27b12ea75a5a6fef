import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DatabaseCollector } from './database-collector.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService, UNMATCHED_ROUTE } from './metrics.service.js';
import { fastifyOf, routeOf } from '../common/routes.js';

/**
 * Prometheus metrics at /metrics. Global so the ingest adapters can inject
 * MetricsService (recordIngestDecision) without importing this module.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, DatabaseCollector],
  exports: [MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * Times every request in Fastify's onResponse hook: it sees all of them (guards'
   * 401s, 404s, 413s included) and knows the matched route's template.
   */
  onModuleInit(): void {
    fastifyOf(this.adapterHost)?.addHook('onResponse', (request, reply, done) => {
      const route = routeOf(request) ?? UNMATCHED_ROUTE;
      this.metrics.observeHttpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
}
