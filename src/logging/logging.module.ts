import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { LogSettings } from './logging.options.js';
import { loggerParams } from './logging.options.js';

/** Structured application logs (nestjs-pino); request logs come from the Fastify adapter (app.setup.ts). */
@Module({})
export class LoggingModule {
  static forRoot(settings: LogSettings): DynamicModule {
    return { module: LoggingModule, imports: [LoggerModule.forRoot(loggerParams(settings))] };
  }
}
