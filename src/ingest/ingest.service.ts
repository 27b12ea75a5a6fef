import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sql } from '../database/sql.js';
import { Sweeper } from '../database/sweeper.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { isPossibleStreamKey } from '../streams/stream-key.js';
import { StreamsRepository, type KeyState } from '../streams/streams.repository.js';
import type { KeyLookupDto } from './dto/key-lookup.dto.js';
import type { IngestAdapterName, IngestOutcome } from './ingest-decision.js';
import type { SessionIngest } from './publish-session.entity.js';
import { PublishSessionsRepository, type PublishInfo, type SessionRef } from './publish-sessions.repository.js';

export type { PublishInfo, SessionRef } from './publish-sessions.repository.js';

export type KeyDecision = { outcome: 'allowed'; stream: KeyLookupDto } | { outcome: Exclude<IngestOutcome, 'allowed' | 'unauthorized'> };

/**
 * Every ingest rule, once; the adapters only translate protocols.
 *
 * - A key is usable when its stream exists, is `active` or `live`, and has not expired.
 * - An allowed publish opens a session and marks the stream `live`; a second
 *   publish on a live key is allowed too (a reconnecting encoder must not be
 *   locked out by a stale session).
 * - A stream is `live` while any of its sessions is open: ending one session
 *   (publish-done, even a stale one from an earlier client id) puts the stream
 *   back to `active` only when no other session is open.
 * - nginx's on_update finds the session by server and client id, because after
 *   a rotation it still carries the old key, and refuses once the key is no
 *   longer the stream's usable key.
 *
 * Session changes and the status they imply happen under the stream row's lock,
 * so concurrent publish / publish-done calls on one stream cannot interleave.
 */
@Injectable()
export class IngestService implements OnModuleInit {
  constructor(
    private readonly sql: Sql,
    private readonly streams: StreamsRepository,
    private readonly sessions: PublishSessionsRepository,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('stale publish sessions', (size) => this.closeStaleSessions(size));
  }

  /**
   * Every decision passes here, with its adapter: the one place they are counted
   * (`streamly_ingest_decisions_total`). Deliberately no log line: this runs on
   * every lookup, and a key must never reach a log anyway.
   */
  recordDecision(adapter: IngestAdapterName, outcome: IngestOutcome): void {
    this.metrics.recordIngestDecision(adapter, outcome);
  }

  /** The plain lookup (also MediaMTX's publish check): no session, no writes. */
  async lookup(adapter: IngestAdapterName, key: string | undefined): Promise<KeyDecision> {
    const decision = await this.lookupKey(key);
    this.recordDecision(adapter, decision.outcome);
    return decision;
  }

  private async lookupKey(key: string | undefined): Promise<KeyDecision> {
    // A key that cannot exist (empty, too long, control characters) names no stream: no query for it.
    if (!isPossibleStreamKey(key)) return { outcome: 'unknown' };
    // On the primary: a key rotated or disabled a moment ago is refused at once, whatever a replica replays.
    const row = await this.streams.lookupKey(key);
    if (!row) return { outcome: 'unknown' };
    const outcome = decide(row);
    return outcome === 'allowed'
      ? { outcome, stream: { streamId: row.streamId, userId: row.userId, username: row.username, status: row.status as 'active' | 'live', expiresAt: row.expiresAt } }
      : { outcome };
  }

  /** A publish starts: allowed for a usable key, which opens a session and marks the stream `live`. */
  async publish(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    const outcome = await this.openSession(adapter, key, info);
    this.recordDecision(adapter, outcome);
    return outcome;
  }

  private async openSession(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    if (!isPossibleStreamKey(key)) return 'unknown';
    const result = await this.sql.transaction(async (client) => {
      const stream = await this.streams.lockByKey(client, key);
      const outcome = stream ? decide(stream) : 'unknown';
      if (!stream || outcome !== 'allowed') return { outcome, displaced: [] };
      // An open session with this server's client id is left over from before the server restarted
      // (nginx counts client ids from 1 again): it has ended, we just never heard.
      const displaced = await this.sessions.end(adapter, info, client);
      await this.sessions.open(client, stream.id, adapter, info);
      await this.streams.markLive(client, stream.id);
      return { outcome, displaced: displaced.filter((id) => id !== stream.id) };
    });
    // Another stream's lock, taken after ours was released: no lock-order deadlock.
    for (const streamId of result.displaced) await this.settle(streamId);
    return result.outcome;
  }

  /**
   * nginx-rtmp `on_update` for a running publish, matched by session (its
   * `name` is the key the publish started with, even after a rotation).
   * Allowed while that is still the stream's usable key; otherwise the session
   * ends here and nginx drops the publisher on our refusal.
   */
  async update(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    const outcome = await this.checkSession(adapter, key, info);
    this.recordDecision(adapter, outcome);
    return outcome;
  }

  private async checkSession(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    const session = await this.sessions.touch(adapter, info);
    // No open session (the sweep closed it, or it began before this backend tracked sessions):
    // decide like a publish, which also records the session when allowed.
    if (!session) return this.openSession(adapter, key, info);

    const state = await this.streams.keyStateOf(session.streamId, key ?? null);
    const outcome = state?.sameKey ? decide(state) : 'unknown';
    if (outcome !== 'allowed') {
      await this.sessions.endById(session.id);
      await this.settle(session.streamId);
      return outcome;
    }
    // Re-enabled while the encoder kept publishing: it is live again.
    if (state?.status === 'active') await this.markLiveIfPublishing(session.streamId);
    return outcome;
  }

  /**
   * Publish-done: ends the session this server's client id names, whatever key
   * it carries. The stream goes back to `active` unless another session is open.
   * Unknown or already-ended sessions are fine (nginx never retries, SRS may repeat).
   */
  async publishDone(adapter: SessionIngest, ref: SessionRef): Promise<void> {
    for (const streamId of await this.sessions.end(adapter, ref)) await this.settle(streamId);
  }

  /** Sweep batch: nginx-rtmp sessions that went quiet are closed (SRS sends no periodic hook). */
  async closeStaleSessions(batchSize: number): Promise<number> {
    const streamIds = await this.sessions.endQuiet(batchSize, this.config.ingestSessionTimeoutSeconds);
    for (const streamId of new Set(streamIds)) await this.settle(streamId);
    return streamIds.length;
  }

  /**
   * `live` → `active` once no session of the stream is open. The row lock comes
   * first and the check is a later statement, so it sees every session committed
   * by a publish that held the lock before us.
   */
  private async settle(streamId: number): Promise<void> {
    await this.sql.transaction(async (client) => {
      await this.streams.lock(client, streamId);
      if (!(await this.sessions.anyOpen(client, streamId))) await this.streams.markIdle(client, streamId);
    });
  }

  /** `active` → `live` while a session of the stream is open (same locking as settle). */
  private async markLiveIfPublishing(streamId: number): Promise<void> {
    await this.sql.transaction(async (client) => {
      await this.streams.lock(client, streamId);
      if (await this.sessions.anyOpen(client, streamId)) await this.streams.markLive(client, streamId);
    });
  }
}

/** The usable-key rule, on the status as shown (past expires_at is `expired`; unknown statuses are `disabled`). */
function decide(state: KeyState): Exclude<IngestOutcome, 'unauthorized'> {
  if (state.status === 'expired') return 'expired';
  if (state.status === 'disabled') return 'disabled';
  return 'allowed';
}
