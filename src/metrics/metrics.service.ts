import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { ReadReplica, replicaName } from '../database/read-replica.service.js';
import { postgresPools } from '../database/sql.js';
import { observeStatements } from '../database/statement-timing.js';

/**
 * What the ingest decision said about a key, as counted in streamly_ingest_decisions_total.
 * `grace`: allowed from memory while PostgreSQL was unreachable (INGEST_OUTAGE_GRACE_SECONDS).
 */
export const INGEST_OUTCOMES = [
  'allowed',
  'unknown',
  'disabled',
  'expired',
  'unauthorized',
  'live_limit',
  'max_duration',
  'grace',
] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

/** The route label of requests that matched no route (their raw URLs never become labels). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The per-request metrics (also what bench/floors/key-lookup-contract.ts observes, as the app does). */
export const HTTP_DURATION: HistogramConfiguration<'method' | 'route' | 'status_code'> = {
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route template (never the raw URL: it may hold a stream key), method and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

export const INGEST_DECISIONS: CounterConfiguration<'adapter' | 'outcome'> = {
  name: 'streamly_ingest_decisions_total',
  help: 'Ingest publish decisions by adapter (ingest server protocol) and outcome',
  labelNames: ['adapter', 'outcome'],
};

// Sub-millisecond buckets: the key lookup takes ~0.2 ms on a warm server; 0.05 is the alert's p99 limit.
export const STATEMENT_DURATION: HistogramConfiguration<'statement'> = {
  name: 'streamly_db_statement_duration_seconds',
  help: 'Database statement durations (failures included) by statement name; `other` for unnamed ones, never SQL text',
  labelNames: ['statement'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

/**
 * The app's Prometheus metrics, in a registry of its own (not prom-client's global
 * one), so several app instances in one process do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly ingestDecisions: Counter<'adapter' | 'outcome'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly readReplica: ReadReplica,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];

    this.httpDuration = new Histogram({ ...HTTP_DURATION, registers });
    this.ingestDecisions = new Counter({ ...INGEST_DECISIONS, registers });
    const statementDuration = new Histogram({ ...STATEMENT_DURATION, registers });
    observeStatements(this.dataSource, (statement, seconds) => statementDuration.observe({ statement }, seconds));

    const pools = () => this.pools();
    new Gauge({
      name: 'streamly_db_pool_connections',
      help: 'Open database connections in the pool (idle and in use)',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [name, pool] of pools()) this.set({ pool: name }, pool.totalCount);
      },
    });
    new Gauge({
      name: 'streamly_db_pool_idle_connections',
      help: 'Idle database connections in the pool',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [name, pool] of pools()) this.set({ pool: name }, pool.idleCount);
      },
    });
    new Gauge({
      name: 'streamly_db_pool_waiting_requests',
      help: 'Queries waiting for a free database connection',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [name, pool] of pools()) this.set({ pool: name }, pool.waitingCount);
      },
    });

    const replicas = () => this.readReplica.replicaStates();
    new Gauge({
      name: 'streamly_db_replica_in_use',
      help: 'Per configured read replica: 1 while reads go to it, 0 while it is skipped after a failure or was left out at startup',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const replica of replicas()) this.set({ replica: replica.name }, replica.inUse ? 1 : 0);
      },
    });
  }

  observeHttpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** Called by the ingest adapters once per decision; `adapter` names the protocol (e.g. nginx, srs). */
  recordIngestDecision(adapter: string, outcome: IngestOutcome): void {
    this.ingestDecisions.inc({ adapter, outcome });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The pg pools behind the DataSource: `primary`, and `replica:<host>:<port>` per replica. */
  private pools(): Array<[string, Pool]> {
    if (!this.dataSource.isInitialized) return [];
    const { primary, replicas } = postgresPools(this.dataSource);
    const replicaOptions = (this.dataSource.options as PostgresDataSourceOptions).replication?.slaves ?? [];
    const result: Array<[string, Pool]> = primary ? [['primary', primary]] : [];
    replicas.forEach((pool, index) => {
      const url = replicaOptions[index]?.url;
      result.push([url ? `replica:${replicaName(url)}` : `replica:${index}`, pool]);
    });
    return result;
  }
}
