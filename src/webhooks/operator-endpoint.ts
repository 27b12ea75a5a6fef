import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sql } from '../database/sql.js';
import { SecretBox } from './secret-box.js';
import { WebhooksRepository } from './webhooks.repository.js';

/**
 * The operator endpoint (WEBHOOK_URL, WEBHOOK_SECRET) is a `webhooks` row without an
 * owner, so its deliveries are retried, ordered and logged like everyone's. At startup
 * the row follows the configuration: created, updated (a changed secret keeps the old
 * one signing for 24 h, as a rotation does), or disabled when WEBHOOK_URL is gone.
 */
@Injectable()
export class OperatorEndpoint implements OnApplicationBootstrap {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly sql: Sql,
    private readonly webhooks: WebhooksRepository,
    private readonly box: SecretBox,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { webhookUrl: url, webhookSecret: secret } = this.config;
    await this.sql.transaction(async (client) => {
      const existing = await this.webhooks.lockOperator(client);
      if (!url || !secret) {
        if (existing?.enabled) await this.webhooks.disableOperator(client);
        return;
      }
      if (!existing) return this.webhooks.insertOperator(client, url, this.box.seal(secret));
      await this.webhooks.updateOperator(
        client,
        url,
        this.box.seal(secret),
        this.readable(existing.secret) === secret ? null : existing.secret,
      );
    });
    // The URL may carry a token: only say whether there is one.
    if (url) this.logger.log('Operator webhook endpoint (WEBHOOK_URL) receives every event');
  }

  private readable(sealed: string): string | null {
    try {
      return this.box.open(sealed);
    } catch {
      return null;
    }
  }
}
