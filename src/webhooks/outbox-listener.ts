import { Logger } from '@nestjs/common';
import pg from 'pg';

/** Sent by the stream_events trigger at the commit of every transaction that recorded events. */
export const STREAM_EVENTS_CHANNEL = 'streamly_stream_events';
/** Sent by a dispatcher that created deliveries, so every instance's worker looks. */
export const DELIVERIES_CHANNEL = 'streamly_webhook_deliveries';
const RECONNECT_MS = 2000;

/**
 * LISTEN on a connection of its own, so new events are sent within milliseconds
 * rather than at the next poll. Only a shortcut: polling still finds everything
 * (notifications sent while this connection is down are simply lost). Not used
 * behind PgBouncer in transaction mode, where a session is not ours to LISTEN on.
 */
export class OutboxListener {
  private readonly logger = new Logger('Webhooks');
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly connectTimeoutMs: number,
    private readonly onNotify: (channel: string) => void,
  ) {}

  start(): void {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: this.connectTimeoutMs });
    this.client = client;
    let failed = false;
    const fail = (error?: Error) => {
      if (failed) return;
      failed = true;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`Webhook LISTEN connection lost (${error?.message ?? 'closed'}); polling until it is back`);
      this.retry = setTimeout(() => this.start(), RECONNECT_MS);
      this.retry.unref();
    };
    // Every pg client we hold needs an 'error' listener, or a PostgreSQL restart kills the process.
    client.on('error', fail);
    client.on('end', () => fail());
    client.on('notification', (message) => this.onNotify(message.channel));
    client
      .connect()
      .then(() => client.query(`LISTEN ${STREAM_EVENTS_CHANNEL}; LISTEN ${DELIVERIES_CHANNEL}`))
      .catch(fail);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }
}
