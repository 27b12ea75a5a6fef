import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthLiveRoute } from './health-live.route.js';
import { HealthController } from './health.controller.js';
import { ShutdownState } from './shutdown-state.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ShutdownState, HealthLiveRoute],
  exports: [ShutdownState],
})
export class HealthModule {}
