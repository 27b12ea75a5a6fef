import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountLoginLimit } from './account-login-limit.js';
import { AccountController } from './account.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { PostgresThrottlerStorage } from './postgres-throttler.storage.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';

/**
 * Login, refresh, logout; and the rate limits for login, sign-up and password change
 * (per IP, per account, per user). ThrottlerModule
 * is global, so UsersController's sign-up can use ThrottlerGuard too. No guard is
 * registered globally: only routes that opt in (`@UseGuards(ThrottlerGuard)`) are
 * limited, never probes, metrics or ingest hooks.
 */
@Module({
  imports: [
    UsersModule,
    StreamsModule, // account deletion removes the streams (with their events) first
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, DataSource],
      useFactory: (config: ResolvedConfig, dataSource: DataSource) => ({
        // One window per client IP (Fastify's request.ip, which honours TRUST_PROXY) and route.
        throttlers: [{ ttl: 60_000, limit: config.authRateLimitPerMinute }],
        skipIf: () => config.authRateLimitPerMinute === 0,
        errorMessage: 'too many attempts, try again later',
        storage: new PostgresThrottlerStorage(dataSource),
      }),
    }),
  ],
  controllers: [AuthController, AccountController],
  providers: [AuthService, RefreshTokensRepository, AccountLoginLimit],
})
export class AuthModule {}
