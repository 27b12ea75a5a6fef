import { Module } from '@nestjs/common';
import { LivePeriodsRepository } from './live-periods.repository.js';
import { StreamLiveness } from './stream-liveness.service.js';
import { StreamsController } from './streams.controller.js';
import { StreamsRepository } from './streams.repository.js';
import { StreamsService } from './streams.service.js';

/**
 * Owner routes; the repository (key lookups) and StreamLiveness (live status and live
 * periods) are exported for ingest, which never writes `streams` or its periods itself.
 */
@Module({
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRepository, LivePeriodsRepository, StreamLiveness],
  exports: [StreamsRepository, StreamLiveness],
})
export class StreamsModule {}
