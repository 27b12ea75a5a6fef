import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sql } from '../database/sql.js';
import { StreamLiveness } from '../streams/stream-liveness.service.js';
import { StreamsRepository, type KeyState, type LockedByKey } from '../streams/streams.repository.js';
import type { IngestOutcome } from './ingest-decision.js';
import type { SessionIngest } from './publish-session.entity.js';
import { PublishSessionsRepository, type PublishInfo, type SessionRef } from './publish-sessions.repository.js';

/** What a session decision can answer (the secret guard and the outage grace add their own). */
export type SessionOutcome = Exclude<IngestOutcome, 'unauthorized' | 'grace'>;

/**
 * Publish sessions and what they mean for their stream, each change in one
 * transaction under the stream's row lock (taken through StreamLiveness), so
 * concurrent publish / publish-done / on_update calls on one stream cannot
 * interleave. Sessions are ours (publish_sessions); the stream's status and
 * live periods are changed through streams' StreamLiveness in the same transaction.
 *
 * - A stream is `live` while any of its sessions is open, and for its reconnect
 *   window after the last one ended; a publish within the window continues the
 *   same live period.
 * - Sessions are found by server and client id: after a rotation nginx still sends
 *   the old key, and after an nginx restart a client id names another publish.
 */
@Injectable()
export class LiveSessions {
  constructor(
    private readonly sql: Sql,
    private readonly streams: StreamsRepository,
    private readonly liveness: StreamLiveness,
    private readonly sessions: PublishSessionsRepository,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /**
   * A publish starts; with `takeUp`, a running publish we have no open session of (its
   * on_publish never reached us, or the sweep closed it) is taken up again. Allowed for a
   * usable key within the owner's live limit: the session joins the stream's live period.
   */
  async open(ingest: SessionIngest, key: string, info: PublishInfo, takeUp: boolean, heartbeat: boolean): Promise<SessionOutcome> {
    const result = await this.sql.transaction(async (client) => {
      const stream = await this.streams.lockByKey(client, key);
      const outcome = stream ? await this.admit(client, stream, ingest, info, takeUp) : 'unknown';
      // Whatever the answer, this client id now names this connection: a session it still
      // names has ended unseen (nginx restarted and counts client ids from 1 again).
      const ended = await this.sessions.end(ingest, info, outcome === 'allowed' ? 'displaced' : 'refused', client);
      if (!stream || outcome !== 'allowed') return { outcome, ended };
      const periodId = await this.liveness.join(client, stream.id);
      const reopened = takeUp && (await this.sessions.reopen(client, stream.id, ingest, info, periodId));
      if (!reopened) await this.sessions.open(client, stream.id, ingest, info, periodId, heartbeat);
      return { outcome, ended: ended.filter((id) => id !== stream.id) };
    });
    // Other streams' locks, taken after ours was released: no lock-order deadlock.
    for (const streamId of new Set(result.ended)) await this.settle(streamId);
    return result.outcome;
  }

  private async admit(
    client: pg.PoolClient,
    stream: LockedByKey,
    ingest: SessionIngest,
    ref: SessionRef,
    takeUp: boolean,
  ): Promise<SessionOutcome> {
    const outcome = decide(stream);
    if (outcome !== 'allowed') return outcome;
    if (takeUp && (await this.sessions.wasCutOff(client, stream.id, ingest, ref, this.config.ingestSessionTimeoutSeconds)))
      return 'max_duration';
    // A stream already live (publishing, or in its reconnect window) is not one more live stream.
    const limit = this.config.maxLiveStreamsPerUser;
    if (limit > 0 && stream.status !== 'live' && (await this.streams.countLiveLocked(client, stream.userId)) >= limit) return 'live_limit';
    return 'allowed';
  }

  /**
   * nginx-rtmp `on_update` for a running publish, matched by session. Allowed while the
   * session's key is still its stream's usable key and the live period is within
   * maxContinuousSeconds; otherwise the session ends here and nginx drops the publisher.
   */
  async check(ingest: SessionIngest, key: string, info: PublishInfo): Promise<SessionOutcome> {
    // A quarter of the quiet timeout: a session updated as often as the README asks never looks quiet.
    const session = await this.sessions.touch(ingest, info, this.config.ingestSessionTimeoutSeconds / 4);
    if (!session) return this.open(ingest, key, info, true, true);
    const state = await this.streams.keyStateOf(session.streamId, key);
    // Another key than the session's: rotated since (the old key is refused), or nginx restarted
    // and this client id now names a publish of another key (decided on its own, the old session ends).
    if (!state?.sameKey) return this.open(ingest, key, info, true, true);
    const outcome = decide(state);
    if (outcome !== 'allowed') {
      await this.sessions.endById(session.id, 'refused');
      await this.settle(session.streamId);
      return outcome;
    }
    if (state.overtime) {
      await this.cutOff(session.streamId);
      return 'max_duration';
    }
    // Re-enabled while the encoder kept publishing: live again.
    if (state.status === 'active') await this.joinIfPublishing(session.streamId);
    return 'allowed';
  }

  /** SRS `on_hls`: the session's heartbeat (sessions that never send one are never swept). */
  async heartbeat(ingest: SessionIngest, key: string, info: PublishInfo): Promise<SessionOutcome> {
    if (await this.sessions.heartbeat(ingest, info)) return 'allowed';
    const row = await this.streams.lookupKey(key);
    const outcome = row ? decide(row) : 'unknown';
    if (!row || outcome !== 'allowed') return outcome;
    if (await this.sessions.heartbeatOfStream(ingest, info.serverAddr, row.streamId)) return 'allowed';
    return this.open(ingest, key, info, true, true);
  }

  /** Publish-done: ends the session this client id names, whatever key it carries (`at`: when it arrived, if deferred). */
  async close(ingest: SessionIngest, ref: SessionRef, at?: string): Promise<void> {
    const ended = at ? await this.sessions.endAt(ingest, ref, at) : await this.sessions.end(ingest, ref, 'publish_done');
    for (const streamId of new Set(ended)) await this.settle(streamId);
  }

  /** Sweep batch: sessions that stopped sending heartbeats are closed. */
  async closeQuiet(batchSize: number): Promise<number> {
    const streamIds = await this.sessions.endQuiet(batchSize, this.config.ingestSessionTimeoutSeconds);
    for (const streamId of new Set(streamIds)) await this.settle(streamId);
    return streamIds.length;
  }

  /** Streams whose reconnect window passed with nobody back: their live period ends. */
  async closeDueWindows(limit: number): Promise<number> {
    let ended = 0;
    for (const streamId of await this.liveness.dueForIdle(limit)) {
      const done = await this.sql.transaction(async (client) => {
        if (!(await this.liveness.lock(client, streamId)) || (await this.sessions.anyOpen(client, streamId))) return false;
        return this.liveness.endIfWindowPassed(client, streamId);
      });
      if (done) ended++;
    }
    return ended;
  }

  /** Retention batch (ended sessions hold encoder addresses). */
  deleteOldSessions(batchSize: number): Promise<number> {
    return this.sessions.deleteEndedBefore(batchSize, this.config.ingestSessionRetentionDays);
  }

  /**
   * After a session ended: when none of the stream's is open any more, the live period
   * waits out the reconnect window (or ends). The row lock comes first and the check is a
   * later statement, so it sees every session committed by a publish that held the lock before.
   */
  private async settle(streamId: number): Promise<void> {
    await this.sql.transaction(async (client) => {
      const stream = await this.liveness.lock(client, streamId);
      if (stream && !(await this.sessions.anyOpen(client, streamId))) await this.liveness.publishersGone(client, stream);
    });
  }

  /** The live period ran past maxContinuousSeconds: every session of it ends, and the period with them (no window). */
  private async cutOff(streamId: number): Promise<void> {
    await this.sql.transaction(async (client) => {
      if (!(await this.liveness.lock(client, streamId))) return;
      await this.sessions.endAllOfStream(client, streamId, 'max_duration');
      await this.liveness.cutOff(client, streamId);
    });
  }

  private async joinIfPublishing(streamId: number): Promise<void> {
    await this.sql.transaction(async (client) => {
      if ((await this.liveness.lock(client, streamId)) && (await this.sessions.anyOpen(client, streamId)))
        await this.liveness.join(client, streamId);
    });
  }
}

/** The usable-key rule, on the status as shown (past expires_at is `expired`; unknown statuses are `disabled`). */
export function decide(state: KeyState): 'allowed' | 'disabled' | 'expired' {
  if (state.status === 'expired') return 'expired';
  if (state.status === 'disabled') return 'disabled';
  return 'allowed';
}
