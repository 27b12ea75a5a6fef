import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { APP_SCHEMA } from './app.schema.js';
import { AuthModule } from './auth/auth.module.js';
import { CatchAllFilter } from './common/catch-all.filter.js';
import { AccessTokenModule } from './common/jwt.module.js';
import { RejectNulPipe } from './common/reject-nul.pipe.js';
import type { ResolvedConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { IngestModule } from './ingest/ingest.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StreamsModule } from './streams/streams.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/**
 * Global pipes and filters are providers here (not `app.useGlobal*` in main.ts),
 * so tests built from this module behave exactly like production.
 */
@Module({})
export class AppModule {
  static forRoot(config: ResolvedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(APP_SCHEMA),
        MetricsModule,
        AccessTokenModule,
        HealthModule,
        UsersModule,
        AuthModule,
        StreamsModule,
        IngestModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: RejectNulPipe },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true, // unknown fields are a 400: no mass assignment
            transform: true,
          }),
        },
        { provide: APP_FILTER, useClass: CatchAllFilter },
      ],
    };
  }
}
