import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { SessionIngest } from './publish-session.entity.js';
import type { SessionRef } from './publish-sessions.repository.js';

/** Memory bounds: one entry per publisher this instance verified, one per publish-done it could not record. */
const MAX_VERIFIED = 200_000;
const MAX_DEFERRED = 10_000;
/** While the database is down, one call per interval still tries it, to notice it is back. */
const RETRY_INTERVAL_MS = 1000;

export interface DeferredDone {
  ingest: SessionIngest;
  ref: SessionRef;
  /** When the publish-done arrived (ISO). */
  at: string;
}

/**
 * What this instance knows when PostgreSQL is unreachable (INGEST_OUTAGE_GRACE_SECONDS).
 *
 * Every on_publish / on_update that the database allowed, on this instance, records
 * (server, client id, key) with the time. During an outage an on_update for a publisher
 * verified within the grace is allowed from here, so nginx does not drop a healthy
 * publisher because of us. Nothing depends on which instance handled the on_publish:
 * with on_update calls spread over instances, each instance learns each publisher at
 * its own first on_update (with two instances alternating and notify_update_timeout
 * 3 s, within ~6 s). The trade-offs: a publisher no instance verified yet (younger than
 * that), or one whose on_updates land on an instance that restarted during the outage,
 * is refused (503); a key rotated or disabled in the last moments before the outage keeps
 * publishing until the grace ends. New publishes are never allowed from memory (503).
 * A grace of 0 keeps nothing and fails closed.
 */
@Injectable()
export class OutageGrace {
  private readonly logger = new Logger('IngestOutage');
  private readonly graceMs: number;
  /** `ingest|server|client` → the key it published with and when the database last allowed it (insertion-ordered by time). */
  private readonly verified = new Map<string, { key: string; at: number }>();
  private readonly deferred: DeferredDone[] = [];
  private downSince: number | null = null;
  private lastTry = 0;

  constructor(@Inject(APP_CONFIG) config: ResolvedConfig) {
    this.graceMs = config.ingestOutageGraceSeconds * 1000;
  }

  /** The database allowed this publisher just now. */
  remember(ingest: SessionIngest, ref: SessionRef, key: string): void {
    if (this.graceMs === 0) return;
    const id = idOf(ingest, ref);
    this.verified.delete(id);
    this.verified.set(id, { key, at: Date.now() });
    if (this.verified.size > MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!);
  }

  forget(ingest: SessionIngest, ref: SessionRef): void {
    this.verified.delete(idOf(ingest, ref));
  }

  /** Whether this publisher was verified with this key within the grace. */
  vouchesFor(ingest: SessionIngest, ref: SessionRef, key: string): boolean {
    const entry = this.verified.get(idOf(ingest, ref));
    return entry !== undefined && entry.key === key && Date.now() - entry.at <= this.graceMs;
  }

  get enabled(): boolean {
    return this.graceMs > 0;
  }

  /**
   * Whether to ask the database. While it is known to be down, one call a second still
   * does (to notice recovery); the rest are answered at once instead of each waiting out
   * the connect and query timeouts of a hung server.
   */
  shouldTryDatabase(): boolean {
    if (this.downSince === null) return true;
    const now = Date.now();
    if (now - this.lastTry < RETRY_INTERVAL_MS) return false;
    this.lastTry = now;
    return true;
  }

  databaseDown(): void {
    if (this.downSince !== null) return;
    this.downSince = this.lastTry = Date.now();
    this.logger.warn(
      this.enabled
        ? `Database unreachable: on_update of publishers verified in the last ${this.graceMs / 1000} s is allowed from memory; new publishes get 503`
        : 'Database unreachable: ingest calls get 503 (INGEST_OUTAGE_GRACE_SECONDS=0)',
    );
  }

  databaseUp(): void {
    if (this.downSince === null) return;
    this.logger.warn(`Database reachable again after ${Math.round((Date.now() - this.downSince) / 1000)} s`);
    this.downSince = null;
  }

  /** A publish-done the database could not take: recorded later, at the time it arrived. */
  defer(ingest: SessionIngest, ref: SessionRef): void {
    if (this.deferred.length < MAX_DEFERRED) this.deferred.push({ ingest, ref, at: new Date().toISOString() });
  }

  /** Takes the deferred publish-dones (the caller puts back what it could not record). */
  takeDeferred(): DeferredDone[] {
    return this.deferred.splice(0);
  }

  putBack(items: DeferredDone[]): void {
    this.deferred.unshift(...items.slice(0, MAX_DEFERRED - this.deferred.length));
  }

  /** Drops entries older than the grace (they can no longer vouch for anyone). */
  prune(): void {
    const oldest = Date.now() - this.graceMs;
    for (const [id, entry] of this.verified) {
      if (entry.at >= oldest) break;
      this.verified.delete(id);
    }
  }
}

function idOf(ingest: SessionIngest, ref: SessionRef): string {
  return `${ingest}\u0000${ref.serverAddr}\u0000${ref.clientId}`;
}
