import { Module } from '@nestjs/common';
import { LivePeriodsRepository } from './live-periods.repository.js';
import { StreamLiveness } from './stream-liveness.service.js';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamsController } from './streams.controller.js';
import { StreamsRepository } from './streams.repository.js';
import { StreamsService } from './streams.service.js';

/**
 * Owner routes; the repository (key lookups) and StreamLiveness (live status and live
 * periods) are exported for ingest, which never writes `streams` or its periods itself;
 * the repository also for auth's account deletion, and the outbox of stream events
 * (StreamEventsRepository) for webhooks.
 */
@Module({
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRepository, LivePeriodsRepository, StreamLiveness, StreamEventsRepository],
  exports: [StreamsRepository, StreamLiveness, StreamEventsRepository],
})
export class StreamsModule {}
