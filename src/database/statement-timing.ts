import type { DataSource } from 'typeorm';

/**
 * The statement names `streamly_db_statement_duration_seconds{statement}` may carry.
 * A fixed list keeps the label bounded: a name given to `Sql.query`, `ReadReplica.query`
 * or in a TypeORM statement's leading comment that is not listed here is counted as
 * `other`, as is every unnamed TypeORM statement. Add a name when a call site uses it.
 */
export const STATEMENT_NAMES = [
  // streams (StreamsRepository), the ingest key lookup first: the hot path
  'key_lookup',
  'stream_lock_by_key',
  'stream_lock',
  'stream_key_state',
  'stream_mark_live',
  'stream_mark_idle',
  'stream_create',
  'stream_list',
  'stream_get',
  'stream_update',
  'stream_rotate_key',
  'stream_delete',
  'stream_expire_batch',
  'stream_delete_all_of',
  // the outbox of stream events (StreamEventsRepository, issue 11)
  'stream_event_record',
  'stream_event_dispatch_lock',
  'stream_event_claim',
  'stream_event_oldest_undispatched',
  'stream_event_prune',
  // publish sessions (PublishSessionsRepository)
  'session_open',
  'session_touch',
  'session_end',
  'session_end_by_id',
  'session_any_open',
  'session_end_quiet',
  // live periods, limits and session upkeep (issue 10)
  'live_period_due',
  'live_period_end',
  'live_period_open_of',
  'live_period_resume',
  'live_period_schedule_idle',
  'live_period_start',
  'session_delete_old',
  'session_end_at',
  'session_end_stream',
  'session_heartbeat',
  'session_heartbeat_stream',
  'session_reopen',
  'session_was_cut_off',
  'stream_count',
  'stream_count_lock',
  'stream_live_count',
  'stream_live_count_lock',
  // webhook endpoints and deliveries (issue 11)
  'webhook_limit_lock',
  'webhook_count',
  'webhook_create',
  'webhook_list',
  'webhook_get',
  'webhook_update',
  'webhook_delete',
  'webhook_rotate_secret',
  'webhook_operator_lock',
  'webhook_operator_get',
  'webhook_operator_insert',
  'webhook_operator_update',
  'webhook_operator_disable',
  'delivery_fan_out',
  'delivery_notify',
  'delivery_claim',
  'delivery_complete',
  'delivery_promote_next',
  'delivery_list',
  'delivery_list_after',
  'delivery_retry',
  'delivery_fail_pending',
  'delivery_pending_stats',
  'delivery_prune',
  // TypeORM statements, by their comment (sqlComment / .comment() / { comment })
  'user_create',
  'user_get',
  'user_profile',
  'user_update',
  'user_delete',
  'user_lock_for_deletion',
  'password_change',
  'login',
  'refresh_issue',
  'refresh_rotate',
  'refresh_revoke',
  'refresh_sweep',
  'rate_limit',
  // failed logins per account (AccountLoginLimit)
  'login_limit_take',
  'login_limit_wait',
  'login_limit_give_back',
  'login_limit_sweep',
  'health_ping',
  'other',
] as const;
export type StatementName = (typeof STATEMENT_NAMES)[number];

const KNOWN = new Set<string>(STATEMENT_NAMES);

/** Where one DataSource's statement durations go (set up by the metrics module). */
export type StatementObserver = (statement: StatementName, seconds: number) => void;

// Per DataSource, not global: several apps in one process (tests) each count their own.
const observers = new WeakMap<DataSource, StatementObserver>();

export function observeStatements(dataSource: DataSource, observer: StatementObserver): void {
  observers.set(dataSource, observer);
}

export function statementObserver(dataSource: DataSource): StatementObserver | undefined {
  return observers.get(dataSource);
}

/** A name from the allow-list, else `other`; never free text in a label. */
export function boundedStatementName(name: string | undefined): StatementName {
  return name !== undefined && KNOWN.has(name) ? (name as StatementName) : 'other';
}

/**
 * Times one statement sent straight to a pg pool (which TypeORM's subscriber never
 * sees) as one observation named `name`, whether it succeeds or fails:
 *
 *   const { rows } = await timeStatement(this.dataSource, 'stream_list', () => pool.query(sql, params));
 *
 * Plain timing, no AsyncLocalStorage: on Node 20 a store in use puts a hook on every
 * promise of the process, and `work` is one pg statement, never TypeORM's.
 */
export async function timeStatement<T>(dataSource: DataSource, name: StatementName, work: () => Promise<T>): Promise<T> {
  const observer = observers.get(dataSource);
  if (observer === undefined) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    observer(name, (performance.now() - started) / 1000);
  }
}

/**
 * The name TypeORM statements carry as a leading comment: `.comment('user_get')` on
 * a query builder, `{ comment: 'user_get' }` in find options, or
 * `` dataSource.query(`${sqlComment('user_get')}SELECT ...`) `` for raw SQL.
 */
export function sqlComment(name: StatementName): string {
  return `/* ${name} */ `;
}

const LEADING_COMMENT = /^\/\* ([a-z0-9_]{1,64}) \*\//;

/** The statement name in a query's leading comment, bounded; `other` without one. */
export function statementNameOf(sql: string): StatementName {
  return boundedStatementName(LEADING_COMMENT.exec(sql)?.[1]);
}
