import { Module } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { StreamsModule } from '../streams/streams.module.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { DeliveryQueue } from './delivery-queue.repository.js';
import { DeliveryWorker } from './delivery-worker.js';
import { EventDispatcher } from './event-dispatcher.js';
import { OperatorEndpoint } from './operator-endpoint.js';
import { SecretBox } from './secret-box.js';
import { WebhookDeliveriesController } from './webhook-deliveries.controller.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';
import { WorkerSql } from './worker-sql.js';

/**
 * Signed webhooks: owners' endpoints and the operator's, fanned out from streams'
 * outbox of stream events (StreamsModule) and sent by the delivery worker. Exports nothing.
 */
@Module({
  imports: [StreamsModule],
  controllers: [WebhooksController, WebhookDeliveriesController],
  providers: [
    WebhooksService,
    WebhooksRepository,
    DeliveriesRepository,
    DeliveryQueue,
    EventDispatcher,
    DeliveryWorker,
    OperatorEndpoint,
    WebhookMetrics,
    WorkerSql,
    { provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: ResolvedConfig) => new SecretBox(config.jwtSecret) },
  ],
})
export class WebhooksModule {}
