import { Gauge, type Registry } from 'prom-client';
import { BACKEND_STATES, type DatabaseStatsRow, type ReplicaLagRow } from './database-stats.query.js';
import type { PlatformCountsRow } from './platform-counts.query.js';

type AnyGauge = Gauge<string>;

/** The stream statuses the API knows (kept here so metrics imports no feature); anything else is `other`. */
const STREAM_STATUSES = ['active', 'live', 'disabled', 'expired'] as const;

// An unlabelled gauge reads 0 after reset(); only remove() takes its one series away.
const unlabelled = new WeakSet<AnyGauge>();

/** A failed source's gauges are absent (not zero, not stale) until it answers again. */
function clear(gauges: AnyGauge[]): void {
  for (const gauge of gauges) {
    if (unlabelled.has(gauge)) gauge.remove();
    else gauge.reset();
  }
}

/**
 * The database-derived gauges: set from the collector's last answers, never from a
 * query made during a scrape. Label values are bounded: fixed lists, our own table
 * names, configured replicas.
 */
export class DatabaseGauges {
  private readonly backends: AnyGauge;
  private readonly databaseSize: AnyGauge;
  private readonly tableSize: AnyGauge;
  private readonly replicaLagSeconds: AnyGauge;
  private readonly replicaLagBytes: AnyGauge;
  private readonly streams: AnyGauge;
  private readonly liveStreams: AnyGauge;
  private readonly openSessions: AnyGauge;
  private readonly accounts: AnyGauge;
  private readonly up: AnyGauge;
  private readonly duration: AnyGauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const gauge = (name: string, help: string, labelNames: string[] = []) => {
      const created = new Gauge({ name, help, labelNames, registers });
      if (labelNames.length === 0) unlabelled.add(created);
      return created;
    };
    this.backends = gauge(
      'streamly_db_backends',
      'Connections to our database from all its clients by state (pg_stat_activity): active, idle, idle_in_transaction, waiting_on_lock, other',
      ['state'],
    );
    this.databaseSize = gauge('streamly_db_size_bytes', 'Size of our database on disk (pg_database_size)');
    this.tableSize = gauge('streamly_db_table_size_bytes', 'Size of each of our tables on disk, indexes and TOAST included', ['table']);
    this.replicaLagSeconds = gauge(
      'streamly_db_replica_lag_seconds',
      "Per configured read replica: age of its last replayed transaction while it is behind the primary's WAL position, else 0",
      ['replica'],
    );
    this.replicaLagBytes = gauge(
      'streamly_db_replica_lag_bytes',
      "Per configured read replica: WAL bytes between the primary's position and its replay",
      ['replica'],
    );
    this.streams = gauge('streamly_streams', 'Streams by status (past expires_at counts as expired)', ['status']);
    this.liveStreams = gauge('streamly_live_streams', 'Streams live now (status live and not expired)');
    this.openSessions = gauge('streamly_publish_sessions_open', 'Publish sessions not ended yet');
    this.accounts = gauge('streamly_accounts', 'User accounts');
    this.up = gauge(
      'streamly_db_collector_up',
      'Whether the last collection from this source answered within its deadline: database (primary statistics), platform (counts), replica:<host:port>',
      ['source'],
    );
    this.duration = gauge('streamly_db_collector_duration_seconds', 'How long the last collection from this source took', ['source']);
    clear([this.databaseSize, this.liveStreams, this.openSessions, this.accounts]); // absent until the first collection
  }

  result(source: string, ok: boolean, seconds: number): void {
    this.up.set({ source }, ok ? 1 : 0);
    this.duration.set({ source }, seconds);
  }

  setDatabase(row: DatabaseStatsRow): void {
    for (const state of BACKEND_STATES) this.backends.set({ state }, Number(row.backends[state] ?? 0));
    this.databaseSize.set(row.databaseBytes);
    this.tableSize.reset();
    for (const [table, bytes] of Object.entries(row.tables)) this.tableSize.set({ table }, Number(bytes));
  }

  clearDatabase(): void {
    clear([this.backends, this.databaseSize, this.tableSize]);
  }

  setPlatform(row: PlatformCountsRow): void {
    const known = new Set<string>(STREAM_STATUSES);
    const counts: Record<string, number> = { other: 0 };
    for (const status of STREAM_STATUSES) counts[status] = 0;
    for (const [status, n] of Object.entries(row.streams)) counts[known.has(status) ? status : 'other'] += Number(n);
    for (const [status, n] of Object.entries(counts)) this.streams.set({ status }, n);
    this.liveStreams.set(counts.live);
    this.openSessions.set(row.openSessions);
    this.accounts.set(row.accounts);
  }

  clearPlatform(): void {
    clear([this.streams, this.liveStreams, this.openSessions, this.accounts]);
  }

  setReplica(replica: string, row: ReplicaLagRow): void {
    // NULL: the server is not (or no longer) a replica; no lag to report.
    if (row.bytes === null || row.seconds === null) return this.clearReplica(replica);
    this.replicaLagBytes.set({ replica }, row.bytes);
    this.replicaLagSeconds.set({ replica }, row.seconds);
  }

  clearReplica(replica: string): void {
    this.replicaLagBytes.remove({ replica });
    this.replicaLagSeconds.remove({ replica });
  }
}
