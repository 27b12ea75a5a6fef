import type pg from 'pg';
import { SESSION_ANY_OPEN_SQL, SESSION_END_SQL, SESSION_OPEN_SQL, SESSION_TOUCH_SQL } from '../../src/ingest/publish-sessions.sql.js';
import {
  LIVE_PERIOD_END_SQL,
  LIVE_PERIOD_OPEN_OF_SQL,
  LIVE_PERIOD_RESUME_SQL,
  LIVE_PERIOD_SCHEDULE_IDLE_SQL,
  LIVE_PERIOD_START_SQL,
} from '../../src/streams/live-periods.sql.js';
import { STREAM_EVENT_RECORD_SQL } from '../../src/streams/stream-events.sql.js';
import { isPossibleStreamKey } from '../../src/streams/stream-key.js';
import {
  LIVE_COUNT_LOCK,
  STREAM_KEY_STATE_SQL,
  STREAM_LIVE_COUNT_LOCK_SQL,
  STREAM_LIVE_COUNT_SQL,
  STREAM_LOCK_BY_KEY_SQL,
  STREAM_LOCK_SQL,
  STREAM_MARK_IDLE_SQL,
  STREAM_MARK_LIVE_SQL,
} from '../../src/streams/streams.sql.js';
import type { ContractMetrics } from './contract.js';
import { prepared, transaction } from './pool.js';

/**
 * The decisions of nginx-rtmp's on_publish and on_update for the floors (nginx-hooks.ts on
 * node:http, nginx-hooks-contract.ts on Fastify with the contract's per-request work): the
 * very same SQL statements (imported from the app's *.sql.ts files), as named prepared
 * statements, in the same transactions and order as the app (LiveSessions.open / .check,
 * StreamLiveness.join, src/ingest and src/streams), with the same form fields (the first
 * `name`, `clientid`, `addr`; the server's address is the peer's).
 *
 * Only the paths the benchmark takes are implemented: on_update of an open, fresh session
 * whose key is still usable; on_publish of a usable key (the live limit counted like the
 * app's, under the same advisory lock). Any other path (a take-up, a refusal that ends a
 * session, a settle of another stream) answers 500, so the benchmark counts it as an error
 * instead of measuring less work than the app did.
 */
const INGEST = 'nginx';
const REFRESH_AFTER_SECONDS = Number(process.env.INGEST_SESSION_TIMEOUT_SECONDS ?? 120) / 4;
const LIVE_LIMIT = Number(process.env.MAX_LIVE_STREAMS_PER_USER ?? 5);

export type HookCall = 'on_publish' | 'on_update';
export interface HookAnswer {
  status: number;
  body?: { statusCode: number; message?: string };
}

class Unimplemented extends Error {}

type Outcome = 'allowed' | 'unknown' | 'disabled' | 'expired' | 'live_limit';
const decide = (status: string): Outcome => (status === 'expired' ? 'expired' : status === 'disabled' ? 'disabled' : 'allowed');

interface Info {
  serverAddr: string;
  clientId: string;
  remoteAddr: string | null;
}

function text(form: URLSearchParams, name: string, max: number): string | undefined {
  const value = form.get(name) ?? undefined; // the first one, as the app's hook-fields.ts
  return value === undefined || value === '' || value.length > max ? undefined : value;
}

/**
 * The hooks' answer to a form whose secret was already checked. With `metrics`, each
 * statement's duration and each decision are recorded under the app's names, as the app does.
 */
export function nginxHooks(
  pool: pg.Pool,
  metrics?: ContractMetrics,
): (call: HookCall, form: URLSearchParams, serverAddr: string) => Promise<HookAnswer> {
  const q = async <T extends pg.QueryResultRow>(on: pg.Pool | pg.PoolClient, name: string, sql: string, values: unknown[]) => {
    if (!metrics) return on.query<T>(prepared(sql, values));
    const started = performance.now();
    try {
      return await on.query<T>(prepared(sql, values));
    } finally {
      metrics.statement(name, (performance.now() - started) / 1000);
    }
  };

  /** LiveSessions.open(ingest, key, info, takeUp = false, heartbeat = true), nginx's on_publish. */
  async function open(key: string, info: Info): Promise<Outcome> {
    const result = await transaction(pool, async (client) => {
      const stream = (await q<{ id: number; userId: number; status: string }>(client, 'stream_lock_by_key', STREAM_LOCK_BY_KEY_SQL, [key]))
        .rows[0];
      let outcome: Outcome = stream ? decide(stream.status) : 'unknown';
      if (stream && outcome === 'allowed' && LIVE_LIMIT > 0 && stream.status !== 'live') {
        await q(client, 'stream_live_count_lock', STREAM_LIVE_COUNT_LOCK_SQL, [LIVE_COUNT_LOCK, stream.userId]);
        const { rows } = await q<{ n: number }>(client, 'stream_live_count', STREAM_LIVE_COUNT_SQL, [stream.userId]);
        if (rows[0].n >= LIVE_LIMIT) outcome = 'live_limit';
      }
      const ended = (
        await q<{ stream_id: number }>(client, 'session_end', SESSION_END_SQL, [
          INGEST,
          info.serverAddr,
          info.clientId,
          outcome === 'allowed' ? 'displaced' : 'refused',
        ])
      ).rows.map((row) => row.stream_id);
      if (!stream || outcome !== 'allowed') return { outcome, ended };
      // StreamLiveness.join
      const period = (await q<{ id: string; waiting: boolean }>(client, 'live_period_open_of', LIVE_PERIOD_OPEN_OF_SQL, [stream.id]))
        .rows[0];
      let periodId: string;
      if (!period) {
        periodId = (await q<{ id: string }>(client, 'live_period_start', LIVE_PERIOD_START_SQL, [stream.id])).rows[0].id;
        await q(client, 'stream_mark_live', STREAM_MARK_LIVE_SQL, [stream.id]);
        await q(client, 'stream_event_record', STREAM_EVENT_RECORD_SQL, ['stream.live', stream.id]);
      } else {
        if (period.waiting) await q(client, 'live_period_resume', LIVE_PERIOD_RESUME_SQL, [period.id]);
        await q(client, 'stream_mark_live', STREAM_MARK_LIVE_SQL, [stream.id]);
        periodId = period.id;
      }
      await q(client, 'session_open', SESSION_OPEN_SQL, [
        stream.id,
        INGEST,
        info.clientId,
        info.serverAddr,
        info.remoteAddr,
        periodId,
        true,
      ]);
      return { outcome, ended: ended.filter((id) => id !== stream.id) };
    });
    for (const streamId of new Set(result.ended)) await settle(streamId);
    return result.outcome;
  }

  /** LiveSessions.settle + StreamLiveness.publishersGone. */
  async function settle(streamId: number): Promise<void> {
    await transaction(pool, async (client) => {
      const stream = (
        await q<{ id: number; status: string; reconnectWindowSeconds: number }>(client, 'stream_lock', STREAM_LOCK_SQL, [streamId])
      ).rows[0];
      if (!stream || (await q(client, 'session_any_open', SESSION_ANY_OPEN_SQL, [streamId])).rows.length > 0) return;
      const period = (await q<{ id: string }>(client, 'live_period_open_of', LIVE_PERIOD_OPEN_OF_SQL, [streamId])).rows[0];
      if (!period) {
        await q(client, 'stream_mark_idle', STREAM_MARK_IDLE_SQL, [streamId]);
        return;
      }
      if ((stream.status === 'live' || stream.status === 'active') && stream.reconnectWindowSeconds > 0) {
        await q(client, 'live_period_schedule_idle', LIVE_PERIOD_SCHEDULE_IDLE_SQL, [period.id, stream.reconnectWindowSeconds]);
        return;
      }
      await q(client, 'live_period_end', LIVE_PERIOD_END_SQL, [period.id, 'idle']);
      await q(client, 'stream_mark_idle', STREAM_MARK_IDLE_SQL, [streamId]);
      await q(client, 'stream_event_record', STREAM_EVENT_RECORD_SQL, ['stream.idle', streamId]);
    });
  }

  /** LiveSessions.check, nginx's on_update, for the benchmark's path: an open session whose key is still usable. */
  async function check(key: string, info: Info): Promise<Outcome> {
    const session = (
      await q<{ id: string; streamId: number }>(pool, 'session_touch', SESSION_TOUCH_SQL, [
        INGEST,
        info.serverAddr,
        info.clientId,
        REFRESH_AFTER_SECONDS,
      ])
    ).rows[0];
    if (!session) throw new Unimplemented('take-up');
    const state = (
      await q<{ status: string; sameKey: boolean; overtime: boolean }>(pool, 'stream_key_state', STREAM_KEY_STATE_SQL, [
        session.streamId,
        key,
      ])
    ).rows[0];
    if (!state?.sameKey || decide(state.status) !== 'allowed' || state.overtime || state.status === 'active')
      throw new Unimplemented('refusal');
    return 'allowed';
  }

  return async (call, form, serverAddr) => {
    const name = text(form, 'name', 256);
    const clientId = text(form, 'clientid', 128);
    if (name === undefined || clientId === undefined) return { status: 400, body: { statusCode: 400 } };
    const info = { serverAddr, clientId, remoteAddr: form.get('addr')?.slice(0, 128) || null };
    try {
      const outcome = !isPossibleStreamKey(name) ? 'unknown' : call === 'on_publish' ? await open(name, info) : await check(name, info);
      metrics?.decision(INGEST, outcome);
      return outcome === 'allowed' ? { status: 200 } : { status: 403, body: { statusCode: 403, message: outcome } };
    } catch (error) {
      return { status: error instanceof Unimplemented ? 500 : 503, body: { statusCode: 500, message: (error as Error).message } };
    }
  };
}
