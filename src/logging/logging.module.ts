import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { fastifyOf, isMachineRoute, routeOf } from '../common/routes.js';
import type { LogSettings } from './logging.options.js';
import { loggerParams } from './logging.options.js';

/** Structured application logs (nestjs-pino); request logs come from the Fastify adapter (app.setup.ts). */
@Module({})
export class LoggingModule implements OnModuleInit {
  static forRoot(settings: LogSettings): DynamicModule {
    // No Nest middleware (`forRoutes: []`): the request context is bound in a Fastify hook below,
    // which costs a fraction of running middie's middleware engine on every request.
    return { module: LoggingModule, imports: [LoggerModule.forRoot({ ...loggerParams(settings), forRoutes: [] })] };
  }

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly logger: PinoLogger,
  ) {}

  /**
   * A line logged through Nest's Logger while a request is handled carries that request's
   * `reqId`. Not on machine routes (ingest, probes, metrics): their few log lines are about
   * the database, not a request, and the context is per-request work on the hottest paths.
   */
  onModuleInit(): void {
    fastifyOf(this.adapterHost)?.addHook('onRequest', (request, _reply, done) => {
      if (isMachineRoute(routeOf(request))) done();
      else this.logger.runInContext(done, { bindings: { reqId: request.id } });
    });
  }
}
