import { Module } from '@nestjs/common';
import { StreamsSweep } from './streams-sweep.service.js';
import { StreamsController } from './streams.controller.js';
import { StreamsService } from './streams.service.js';

@Module({
  controllers: [StreamsController],
  providers: [StreamsService, StreamsSweep],
  // Ingest adds its stale-session batch to the one sweep.
  exports: [StreamsSweep],
})
export class StreamsModule {}
