import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { SessionIngest } from './publish-session.entity.js';
import type { SessionRef } from './publish-sessions.repository.js';

/** While the database is down, one call per interval still tries it, to notice it is back. */
const RETRY_INTERVAL_MS = 1000;
/** nginx reports `time` in whole seconds, and we notice an outage a little after it began. */
const RUNNING_SLACK_SECONDS = 2;
const MAX_DEFERRED = 10_000;

export interface DeferredDone {
  ingest: SessionIngest;
  ref: SessionRef;
  /** When the publish-done arrived (ISO). */
  at: string;
}

/**
 * What ingest does while PostgreSQL is unreachable (INGEST_OUTAGE_GRACE_SECONDS).
 *
 * nginx-rtmp sends on_update only for a publish whose on_publish one of our instances
 * answered 2xx, and its `time` field says how long that publish has been running. So an
 * on_update during an outage for a publish that began before this instance saw the
 * database fail was allowed by some instance: it is allowed again, for up to the grace
 * from the outage's start, with no memory of the publisher needed. That matters: with
 * nginx's round-robin the on_updates of one publisher may always land on one instance
 * and switch to the other whenever another request shifts the cycle, so a per-instance
 * memory of "verified" publishers drops the ones an instance never saw (seen in the
 * outage suite: after 20 s behind the proxy, neither instance had seen all 10). The cost: a
 * key rotated, disabled or expired in the last seconds before the outage keeps
 * publishing until the grace ends. New publishes are never allowed without the
 * database (503). A grace of 0 fails closed.
 */
@Injectable()
export class OutageGrace {
  private readonly logger = new Logger('IngestOutage');
  private readonly graceMs: number;
  private readonly deferred: DeferredDone[] = [];
  private downSince: number | null = null;
  private lastTry = 0;

  constructor(@Inject(APP_CONFIG) config: ResolvedConfig) {
    this.graceMs = config.ingestOutageGraceSeconds * 1000;
  }

  get enabled(): boolean {
    return this.graceMs > 0;
  }

  /**
   * Whether a publish that has been running `runningSeconds` (nginx's `time`) may go on
   * without the database: the outage is within the grace, and the publish began before it.
   */
  covers(runningSeconds: number | null): boolean {
    if (this.graceMs === 0 || this.downSince === null) return false;
    const outageMs = Date.now() - this.downSince;
    if (outageMs > this.graceMs) return false;
    return runningSeconds === null || runningSeconds + RUNNING_SLACK_SECONDS >= outageMs / 1000;
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
      this.graceMs > 0
        ? `Database unreachable: running nginx publishers are allowed for up to ${this.graceMs / 1000} s; new publishes get 503`
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
}
