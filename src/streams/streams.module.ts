import { Module } from '@nestjs/common';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamsController } from './streams.controller.js';
import { StreamsRepository } from './streams.repository.js';
import { StreamsService } from './streams.service.js';

/**
 * Owner routes; the repository is exported for ingest, which never writes `streams`
 * itself, and for auth's account deletion; the outbox of stream events for webhooks
 * (and for ingest's live periods, which record their events through it).
 */
@Module({
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRepository, StreamEventsRepository],
  exports: [StreamsRepository, StreamEventsRepository],
})
export class StreamsModule {}
