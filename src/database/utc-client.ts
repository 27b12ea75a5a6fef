import pg from 'pg';

/**
 * The original columns are `TIMESTAMP` (without time zone) holding UTC. Two things
 * would shift them by the local offset, so both are pinned here for every
 * connection we open (pool, replicas, migrations, through PgBouncer or not):
 *
 * - Writes: `DEFAULT CURRENT_TIMESTAMP` and `now()` casts use the session's
 *   `TimeZone`. It is sent as a startup parameter: PostgreSQL accepts any setting
 *   there, and PgBouncer tracks `TimeZone` per client (it rejects `options`, which
 *   is all node-pg would send by itself). node-pg has no public hook for extra
 *   startup parameters, hence this subclass; test/time-zone.e2e-spec.ts fails if a
 *   pg upgrade stops sending it.
 * - Reads: node-pg parses OID 1114 in the process's local zone; read it as UTC.
 */
export class UtcClient extends pg.Client {
  getStartupConf(): Record<string, string> {
    const base = (pg.Client.prototype as unknown as { getStartupConf(this: pg.Client): Record<string, string> }).getStartupConf.call(this);
    return { ...base, TimeZone: 'UTC' };
  }
}

const TIMESTAMP_OID = 1114;

const TIMESTAMPTZ_OID = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (value: string) => unknown;

/** `2024-05-05 05:05:05.123456` read as UTC, by pg's own timestamptz parser (BC dates and infinities included). */
export function parseUtcTimestamp(value: string): unknown {
  if (value === 'infinity' || value === '-infinity') return parseTimestamptz(value);
  return value.endsWith(' BC') ? parseTimestamptz(`${value.slice(0, -3)}+00 BC`) : parseTimestamptz(`${value}+00`);
}

/** pg's per-connection type parsers (`types` option): the defaults, except `timestamp` read as UTC. */
export const utcTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === TIMESTAMP_OID && format !== 'binary') return parseUtcTimestamp;
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};
