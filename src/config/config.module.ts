import { DynamicModule, Global, Module } from '@nestjs/common';
import type { ResolvedConfig } from './app-config.js';

/** Injection token for the validated configuration (`@Inject(APP_CONFIG) config: ResolvedConfig`). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Holds the configuration that bootstrap parsed and resolved (embedded database URL,
 * generated development secrets). Tests pass their own, so no feature reads process.env.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
