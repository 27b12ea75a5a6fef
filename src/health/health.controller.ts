import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sqlComment } from '../database/statement-timing.js';
import { ShutdownState } from './shutdown-state.js';

/** Probes answer well inside 2 s even when the database hangs: the ping has its own deadline. */
const PING_TIMEOUT_MS = 1000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.database()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shutdown.isShuttingDown) {
      throw new ServiceUnavailableException({
        status: 'error',
        info: {},
        error: { shutdown: { status: 'down', message: 'shutting down' } },
        details: { shutdown: { status: 'down', message: 'shutting down' } },
      });
    }
    return this.health.check([() => this.database()]);
  }

  private database() {
    // cacheFor shares one in-flight ping between concurrent probes, so a hung
    // database holds at most one pool connection for pings, not one per probe.
    return this.indicators
      .check('database')
      .attempt(async () => {
        try {
          await this.dataSource.query(`${sqlComment('health_ping')}SELECT 1`);
        } catch {
          // The report may be read outside the cluster: no host, port or driver text in it.
          throw new Error('database unavailable');
        }
      })
      .withTimeout(PING_TIMEOUT_MS)
      .cacheFor(500);
  }
}
