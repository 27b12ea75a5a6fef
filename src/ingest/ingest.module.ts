import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module.js';
import { IngestKeysRoute } from './ingest-keys.route.js';
import { IngestSecret, IngestSecretGuard } from './ingest-secret.guard.js';
import { IngestService } from './ingest.service.js';
import { LiveSessions } from './live-sessions.service.js';
import { LiveWindowJob } from './live-window.job.js';
import { MediaMtxController } from './mediamtx.controller.js';
import { NginxRtmpRoutes } from './nginx-rtmp.routes.js';
import { OutageGrace } from './outage-grace.js';
import { PublishSessionsRepository } from './publish-sessions.repository.js';
import { SrsController } from './srs.controller.js';

/** Called by RTMP servers, not browsers: every route behind the ingest secret, under /api/v1/ingest. */
@Module({
  imports: [StreamsModule],
  controllers: [MediaMtxController, SrsController],
  providers: [
    IngestService,
    IngestSecret,
    IngestSecretGuard,
    IngestKeysRoute,
    NginxRtmpRoutes,
    PublishSessionsRepository,
    LiveSessions,
    OutageGrace,
    LiveWindowJob,
  ],
})
export class IngestModule {}
