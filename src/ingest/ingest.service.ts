import { Inject, Injectable, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { Sweeper } from '../database/sweeper.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { isPossibleStreamKey, StreamsRepository } from '../streams/streams.repository.js';
import type { KeyLookupDto } from './dto/key-lookup.dto.js';
import type { IngestAdapterName, IngestOutcome } from './ingest-decision.js';
import { decide, LiveSessions, type SessionOutcome } from './live-sessions.service.js';
import { OutageGrace } from './outage-grace.js';
import type { SessionIngest } from './publish-session.entity.js';
import type { PublishInfo, SessionRef } from './publish-sessions.repository.js';

export type { PublishInfo, SessionRef } from './publish-sessions.repository.js';

/**
 * How long on_update waits for the database before treating it as unreachable (when the
 * grace is on): nginx drops the publisher if the hook does not answer within its netcall
 * timeout (10 s), which a hung server's pool, connect and query timeouts together can exceed.
 */
const UPDATE_DEADLINE_MS = 3000;

export type KeyDecision = { outcome: 'allowed'; stream: KeyLookupDto } | { outcome: Exclude<SessionOutcome, 'allowed' | 'max_duration'> };

/**
 * Every ingest decision, once; the adapters only translate protocols. The rules
 * of sessions and live periods are in LiveSessions; this adds the plain lookup,
 * the count of every decision, and what happens while PostgreSQL is unreachable
 * (OutageGrace): known publishers keep publishing, new ones get 503.
 */
@Injectable()
export class IngestService implements OnModuleInit {
  constructor(
    private readonly streams: StreamsRepository,
    private readonly live: LiveSessions,
    private readonly grace: OutageGrace,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('stale publish sessions', (size) => this.live.closeQuiet(size));
    this.sweeper.register('publish sessions past retention', (size) => this.live.deleteOldSessions(size));
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
    if (outcome !== 'allowed') return { outcome };
    // Advisory here (no lock): the publish itself, where the server reports one, counts under a lock.
    const limit = this.config.maxLiveStreamsPerUser;
    if (limit > 0 && row.othersLive >= limit) return { outcome: 'live_limit' };
    return {
      outcome,
      stream: {
        streamId: row.streamId,
        userId: row.userId,
        username: row.username,
        status: row.status as 'active' | 'live',
        expiresAt: row.expiresAt,
      },
    };
  }

  /** A publish starts (nginx on_publish, SRS on_publish, MediaMTX runOnReady): a session opens and the stream is live. */
  async publish(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    const outcome = isPossibleStreamKey(key) ? await this.live.open(adapter, key, info, false, adapter === 'nginx') : 'unknown';
    this.recordDecision(adapter, outcome);
    return outcome;
  }

  /**
   * nginx-rtmp `on_update` (`runningSeconds`: its `time` field). While PostgreSQL is
   * unreachable, a publish that began before the outage goes on for the grace (OutageGrace).
   */
  async update(adapter: SessionIngest, key: string | undefined, info: PublishInfo, runningSeconds: number | null): Promise<IngestOutcome> {
    const outcome = isPossibleStreamKey(key) ? await this.checkWithGrace(adapter, key, info, runningSeconds) : 'unknown';
    this.recordDecision(adapter, outcome);
    return outcome;
  }

  private async checkWithGrace(
    adapter: SessionIngest,
    key: string,
    info: PublishInfo,
    runningSeconds: number | null,
  ): Promise<IngestOutcome> {
    if (!this.grace.shouldTryDatabase()) {
      if (this.grace.covers(runningSeconds)) return 'grace';
      throw new ServiceUnavailableException('database unavailable, try again shortly');
    }
    let outcome: SessionOutcome;
    try {
      const check = this.live.check(adapter, key, info);
      outcome = this.grace.enabled ? await withDeadline(check, UPDATE_DEADLINE_MS) : await check;
    } catch (error) {
      if (!isDatabaseUnavailable(error) && !(error instanceof DeadlineExceeded)) throw error;
      this.grace.databaseDown();
      if (this.grace.covers(runningSeconds)) return 'grace';
      throw error;
    }
    this.grace.databaseUp();
    return outcome;
  }

  /** SRS `on_hls`: a heartbeat of the publish (never a refusal: SRS cannot stop a publisher on it). */
  async heartbeat(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<void> {
    if (isPossibleStreamKey(key)) await this.live.heartbeat(adapter, key, info);
  }

  /**
   * Publish-done: ends the session this server's client id names. Unknown or already-ended
   * sessions are fine (nginx never retries, SRS may repeat). While PostgreSQL is unreachable
   * it is kept and recorded once the database is back (LiveWindowJob), at the time it arrived.
   */
  async publishDone(adapter: SessionIngest, ref: SessionRef): Promise<void> {
    try {
      await this.live.close(adapter, ref);
    } catch (error) {
      if (isDatabaseUnavailable(error)) this.grace.defer(adapter, ref);
      throw error;
    }
  }
}

class DeadlineExceeded extends Error {}

/**
 * `work`, or a DeadlineExceeded after `ms` (the work goes on; its late result or error is
 * dropped: settling a settled promise does nothing, and the rejection is handled here). One
 * promise and one reaction per call, rather than race + finally + catch: this runs on every
 * on_update.
 */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceeded('database did not answer in time')), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
