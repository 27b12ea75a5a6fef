import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sweeper } from '../database/sweeper.service.js';
import { STREAM_EVENT_TYPES } from '../streams/stream-events.repository.js';
import { hostRefusal } from './address-policy.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { DeliveryQueue } from './delivery-queue.repository.js';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor.js';
import { DeliveryWorker } from './delivery-worker.js';
import type { CreateWebhookDto } from './dto/create-webhook.dto.js';
import type { DeliveryPageDto, ListDeliveriesQueryDto } from './dto/delivery.dto.js';
import type { UpdateWebhookDto } from './dto/update-webhook.dto.js';
import type { WebhookDto, WebhookListDto, WebhookWithSecretDto } from './dto/webhook.dto.js';
import { newWebhookSecret, SecretBox } from './secret-box.js';
import { WebhooksRepository, type WebhookRow } from './webhooks.repository.js';

export const MAX_WEBHOOKS_PER_USER = 10;
const DEFAULT_PAGE_SIZE = 20;

/** Owner-facing endpoints: another user's endpoint is a 404, exactly like a missing one. */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
    private readonly box: SecretBox,
    private readonly sweeper: Sweeper,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('delivered webhook deliveries', (size) => this.deliveries.pruneDelivered(size));
  }

  async create(me: number, dto: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    const url = await this.acceptableUrl(dto.url);
    const secret = newWebhookSecret();
    const row = await this.webhooks.create(me, url, dto.events ?? null, this.box.seal(secret), MAX_WEBHOOKS_PER_USER);
    if (row === 'limit') {
      throw new ForbiddenException({
        statusCode: 403,
        message: `at most ${MAX_WEBHOOKS_PER_USER} webhooks per user`,
        error: 'Forbidden',
        reason: 'webhook_limit',
      });
    }
    if (!row) throw new UnauthorizedException('missing or invalid access token');
    return { ...shown(row), secret };
  }

  async list(me: number): Promise<WebhookListDto> {
    return { items: (await this.webhooks.list(me)).map(shown) };
  }

  async get(me: number, id: number): Promise<WebhookDto> {
    return shown(found(await this.webhooks.get(me, id)));
  }

  async update(me: number, id: number, dto: UpdateWebhookDto): Promise<WebhookDto> {
    const url = dto.url === undefined ? undefined : await this.acceptableUrl(dto.url);
    const row = found(await this.webhooks.update(me, id, { url, events: dto.events, enabled: dto.enabled }));
    if (dto.enabled === false) await this.queue.failPendingOf(id);
    return shown(row);
  }

  async remove(me: number, id: number): Promise<void> {
    if (!(await this.webhooks.remove(me, id))) throw notFound();
  }

  async rotateSecret(me: number, id: number): Promise<WebhookWithSecretDto> {
    const secret = newWebhookSecret();
    return { ...shown(found(await this.webhooks.rotateSecret(me, id, this.box.seal(secret)))), secret };
  }

  async listDeliveries(me: number, id: number, query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    const after = query.cursor === undefined ? undefined : decodeDeliveryCursor(query.cursor);
    found(await this.webhooks.get(me, id));
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.deliveries.list(id, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(({ position: _position, id: deliveryId, ...delivery }) => ({ id: Number(deliveryId), ...delivery })),
      nextCursor: rows.length > limit && last ? encodeDeliveryCursor({ createdAt: last.position, id: Number(last.id) }) : null,
    };
  }

  async retry(me: number, id: number, deliveryId: number): Promise<void> {
    if (!(await this.queue.retry(me, id, deliveryId, this.config.webhookRetryHours))) throw new NotFoundException('delivery not found');
    this.worker.wake();
  }

  /** http(s), no credentials in it, and (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS) not a refused address. */
  private async acceptableUrl(value: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new BadRequestException(['url must be an absolute http:// or https:// URL']);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadRequestException(['url must be an http:// or https:// URL']);
    if (url.username || url.password) throw new BadRequestException(['url must not contain credentials']);
    if (!this.config.webhookAllowPrivateNetworks) {
      const refusal = await hostRefusal(url.hostname);
      if (refusal) throw new BadRequestException([`url refused: its host is a ${refusal} address`]);
    }
    return url.toString();
  }
}

/** `events` NULL means every type: shown as the full list. */
function shown(row: WebhookRow): WebhookDto {
  return { id: row.id, url: row.url, events: row.events ?? [...STREAM_EVENT_TYPES], enabled: row.enabled, createdAt: row.createdAt };
}

function found(row: WebhookRow | null): WebhookRow {
  if (!row) throw notFound();
  return row;
}

export function notFound(): NotFoundException {
  return new NotFoundException('webhook not found');
}
