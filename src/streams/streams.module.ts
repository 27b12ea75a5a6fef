import { Module } from '@nestjs/common';
import { StreamsController } from './streams.controller.js';
import { StreamsRepository } from './streams.repository.js';
import { StreamsService } from './streams.service.js';

/** Owner routes; the repository is exported for ingest, which never writes `streams` itself. */
@Module({
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRepository],
  exports: [StreamsRepository],
})
export class StreamsModule {}
