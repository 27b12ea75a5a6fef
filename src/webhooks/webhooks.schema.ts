import type { DatabaseSchema } from '../database/database.options.js';
import { AddWebhooks1700000004010 } from './migrations/1700000004010-AddWebhooks.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { Webhook } from './webhook.entity.js';

/** Webhook endpoints and deliveries. */
export const WEBHOOKS_SCHEMA: DatabaseSchema = { entities: [Webhook, WebhookDelivery], migrations: [AddWebhooks1700000004010] };
