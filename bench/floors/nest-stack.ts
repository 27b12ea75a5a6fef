import 'reflect-metadata';
import { Controller, Get, Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * The cold-start floor of the decided stack: the smallest app on it that answers
 * `/health/ready` like ours (NestJS on the Fastify adapter, a global ValidationPipe, TypeORM
 * connected to the same migrated database over pg, a Terminus check pinging it), and
 * nothing of this app's own (no entities, modules, logger, docs or background work). What
 * starting that takes on a machine bounds what the app's start can reach there.
 */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () =>
        this.indicators
          .check('database')
          .attempt(() => this.dataSource.query('SELECT 1'))
          .withTimeout(1000),
    ]);
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      synchronize: false,
      migrationsRun: false,
      extra: { max: 10 },
    }),
    TerminusModule,
  ],
  controllers: [HealthController],
  providers: [{ provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }) }],
})
class StackModule {}

const app = await NestFactory.create<NestFastifyApplication>(StackModule, new FastifyAdapter(), { logger: ['error'] });
app.enableShutdownHooks();
await app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' });
