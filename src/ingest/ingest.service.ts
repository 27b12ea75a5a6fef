import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ReadReplica } from '../database/read-replica.service.js';
import { inTransaction, primaryPool } from '../database/sql.js';
import { Sweeper } from '../database/sweeper.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { STREAM_KEY_PATTERN } from '../streams/stream-key.js';
import type { StreamStatus } from '../streams/stream.entity.js';
import type { KeyLookupDto } from './dto/key-lookup.dto.js';
import type { IngestAdapterName, IngestOutcome } from './ingest-decision.js';
import { KEY_LOOKUP_SQL } from './key-lookup.query.js';
import type { SessionIngest } from './publish-session.entity.js';

/** Identifies a publish session on its ingest server while it is open. */
export interface SessionRef {
  /** The ingest server: the address its hook calls come from. */
  serverAddr: string;
  /** The server's id of the publishing connection (nginx `clientid`, SRS `client_id`). */
  clientId: string;
}

export interface PublishInfo extends SessionRef {
  /** The encoder's address as the ingest server saw it. */
  remoteAddr: string | null;
}

export type KeyDecision = { outcome: 'allowed'; stream: KeyLookupDto } | { outcome: Exclude<IngestOutcome, 'allowed' | 'unauthorized'> };

/** What decides a key: its stream's stored status and whether expires_at has passed (by the database's clock). */
interface KeyState {
  status: StreamStatus;
  expired: boolean;
}

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
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
    private readonly replica: ReadReplica,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.sweeper.register('stale publish sessions', (size) => this.closeStaleSessions(size));
  }

  private get db(): pg.Pool {
    return primaryPool(this.dataSource);
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
    // Anything that is not key-shaped names no stream: no query for it.
    if (key === undefined || !STREAM_KEY_PATTERN.test(key)) return { outcome: 'unknown' };
    // Lag-tolerant read: a replica when there is one.
    const rows = await this.replica.query<KeyLookupDto & { expired: boolean }>(KEY_LOOKUP_SQL, [key], 'key_lookup');
    if (rows.length === 0) return { outcome: 'unknown' };
    const { expired, ...stream } = rows[0];
    const outcome = decide({ status: stream.status, expired });
    return outcome === 'allowed' ? { outcome, stream } : { outcome };
  }

  /** A publish starts: allowed for a usable key, which opens a session and marks the stream `live`. */
  async publish(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    const outcome = await this.openSession(adapter, key, info);
    this.recordDecision(adapter, outcome);
    return outcome;
  }

  private async openSession(adapter: SessionIngest, key: string | undefined, info: PublishInfo): Promise<IngestOutcome> {
    if (key === undefined || !STREAM_KEY_PATTERN.test(key)) return 'unknown';
    const result = await inTransaction(this.db, async (client) => {
      const { rows } = await client.query<KeyState & { id: string }>(
        `SELECT id, status, expires_at <= now() AS expired FROM streams WHERE stream_key = $1 FOR UPDATE`,
        [key],
      );
      const outcome = rows.length === 0 ? 'unknown' : decide(rows[0]);
      if (outcome !== 'allowed') return { outcome, displaced: [] };
      const streamId = rows[0].id;
      // An open session with this server's client id is left over from before the server restarted
      // (nginx counts client ids from 1 again): it has ended, we just never heard.
      const displaced = await client.query<{ stream_id: string }>(
        `UPDATE publish_sessions SET ended_at = now()
         WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
         RETURNING stream_id`,
        [adapter, info.serverAddr, info.clientId],
      );
      await client.query(
        `INSERT INTO publish_sessions (stream_id, ingest, client_id, server_addr, remote_addr) VALUES ($1, $2, $3, $4, $5)`,
        [streamId, adapter, info.clientId, info.serverAddr, info.remoteAddr],
      );
      await client.query(`UPDATE streams SET status = 'live', updated_at = now() WHERE id = $1 AND status <> 'live'`, [streamId]);
      return { outcome, displaced: displaced.rows.map((row) => row.stream_id).filter((id) => id !== streamId) };
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
    const { rows } = await this.db.query<KeyState & { sessionId: string; streamId: string; sameKey: boolean }>(
      `SELECT ps.id AS "sessionId", s.id AS "streamId", s.status, s.expires_at <= now() AS expired,
              s.stream_key = $4 AS "sameKey"
       FROM publish_sessions ps JOIN streams s ON s.id = ps.stream_id
       WHERE ps.ingest = $1 AND ps.server_addr = $2 AND ps.client_id = $3 AND ps.ended_at IS NULL`,
      [adapter, info.serverAddr, info.clientId, key ?? null],
    );
    // No open session (the sweep closed it, or it began before this backend tracked sessions):
    // decide like a publish, which also records the session when allowed.
    if (rows.length === 0) return this.openSession(adapter, key, info);

    const session = rows[0];
    const outcome = session.sameKey ? decide(session) : 'unknown';
    if (outcome !== 'allowed') {
      await this.db.query(`UPDATE publish_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL`, [session.sessionId]);
      await this.settle(session.streamId);
      return outcome;
    }
    await this.db.query(`UPDATE publish_sessions SET last_seen_at = now() WHERE id = $1`, [session.sessionId]);
    // Re-enabled while the encoder kept publishing: it is live again.
    if (session.status === 'active') await this.markLiveIfPublishing(session.streamId);
    return outcome;
  }

  /**
   * Publish-done: ends the session this server's client id names, whatever key
   * it carries. The stream goes back to `active` unless another session is open.
   * Unknown or already-ended sessions are fine (nginx never retries, SRS may repeat).
   */
  async publishDone(adapter: SessionIngest, ref: SessionRef): Promise<void> {
    const { rows } = await this.db.query<{ stream_id: string }>(
      `UPDATE publish_sessions SET ended_at = now()
       WHERE ingest = $1 AND server_addr = $2 AND client_id = $3 AND ended_at IS NULL
       RETURNING stream_id`,
      [adapter, ref.serverAddr, ref.clientId],
    );
    for (const row of rows) await this.settle(row.stream_id);
  }

  /**
   * Sweep batch: nginx-rtmp sessions that stopped getting on_update (publish-done
   * lost while the API was down, nginx killed) are closed. SRS sends no periodic
   * hook, so only its on_unpublish ends its sessions.
   */
  async closeStaleSessions(batchSize: number): Promise<number> {
    const { rows } = await this.db.query<{ stream_id: string }>(
      `UPDATE publish_sessions SET ended_at = now()
       WHERE id IN (
         SELECT id FROM publish_sessions
         WHERE ended_at IS NULL AND ingest = 'nginx' AND last_seen_at < now() - make_interval(secs => $2)
         ORDER BY last_seen_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING stream_id`,
      [batchSize, this.config.ingestSessionTimeoutSeconds],
    );
    for (const streamId of new Set(rows.map((row) => row.stream_id))) await this.settle(streamId);
    return rows.length;
  }

  /**
   * `live` → `active` once no session of the stream is open. The row lock comes
   * first and the check is a later statement, so it sees every session committed
   * by a publish that held the lock before us.
   */
  private async settle(streamId: string): Promise<void> {
    await inTransaction(this.db, async (client) => {
      await client.query(`SELECT 1 FROM streams WHERE id = $1 FOR UPDATE`, [streamId]);
      await client.query(
        `UPDATE streams SET status = 'active', updated_at = now()
         WHERE id = $1 AND status = 'live'
           AND NOT EXISTS (SELECT 1 FROM publish_sessions WHERE stream_id = $1 AND ended_at IS NULL)`,
        [streamId],
      );
    });
  }

  /** `active` → `live` while a session of the stream is open (same locking as settle). */
  private async markLiveIfPublishing(streamId: string): Promise<void> {
    await inTransaction(this.db, async (client) => {
      await client.query(`SELECT 1 FROM streams WHERE id = $1 FOR UPDATE`, [streamId]);
      await client.query(
        `UPDATE streams SET status = 'live', updated_at = now()
         WHERE id = $1 AND status = 'active' AND expires_at > now()
           AND EXISTS (SELECT 1 FROM publish_sessions WHERE stream_id = $1 AND ended_at IS NULL)`,
        [streamId],
      );
    });
  }
}

/** The usable-key rule. Past expires_at is `expired` whatever the stored status says. */
function decide(state: KeyState): Exclude<IngestOutcome, 'unauthorized'> {
  if (state.expired || state.status === 'expired') return 'expired';
  if (state.status === 'disabled') return 'disabled';
  return 'allowed';
}
