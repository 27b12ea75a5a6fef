import { resolve } from 'node:path';
import { secretWeakness } from './secret-strength.js';

/** Everything the app reads from the environment, parsed and validated once at startup. */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  host: string;
  /** Unset means "start the embedded PostgreSQL"; filled in by bootstrap before the app is built. */
  databaseUrl: string | undefined;
  replicaUrls: string[];
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  /**
   * DATABASE_URL points at PgBouncer in transaction mode: no startup parameters it
   * rejects (statement_timeout), and no session-level state such as advisory locks.
   */
  dbPgBouncer: boolean;
  /**
   * That PgBouncer is 1.21 or later with `max_prepared_statements` > 0: it keeps named
   * (protocol-level) prepared statements working in transaction mode, so they stay on.
   * No effect without DB_PGBOUNCER (statements are prepared then anyway), so the migration
   * Job can share the ConfigMap and override DB_PGBOUNCER alone.
   */
  dbPgBouncerPreparedStatements: boolean;
  migrationsRun: boolean;
  /** Filled from `./.data/` outside production when unset. */
  jwtSecret: string | undefined;
  jwtAccessTtlSeconds: number;
  jwtRefreshTtlSeconds: number;
  /** A session (refresh-token family) ends this long after its login, however often it is refreshed. */
  jwtRefreshAbsoluteTtlSeconds: number;
  ingestSecret: string | undefined;
  /** The operator endpoint that receives every webhook event, and its signing secret (both optional). */
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  /** How long a failing delivery is retried before it is marked `failed`; 0 = one attempt only. */
  webhookRetryHours: number;
  /** The first retry's delay; each later one doubles it (with jitter), up to an hour. */
  webhookRetryBaseSeconds: number;
  /** Endpoints on loopback, private, link-local or metadata addresses are allowed (development, internal services). */
  webhookAllowPrivateNetworks: boolean;
  bcryptCost: number;
  /** libuv's thread pool size (its own variable, read here so it is validated and visible); bcrypt runs there. */
  uvThreadPoolSize: number;
  authRateLimitPerMinute: number;
  /** Failed logins per account (any IP, any instance) per 15 minutes before that account answers 429; 0 = off. */
  authAccountRateLimitPer15Minutes: number;
  /** bcrypt jobs allowed to wait for a slot; one more is refused with 503 at once. */
  bcryptMaxQueue: number;
  streamDefaultTtlSeconds: number;
  streamSweepIntervalSeconds: number;
  /** An nginx-rtmp publish session without `on_update` for this long is closed by the sweep. */
  ingestSessionTimeoutSeconds: number;
  // ---- live ingest limits and resilience (0 = no limit) ----
  maxStreamsPerUser: number;
  maxLiveStreamsPerUser: number;
  /** How long publishers verified before a database outage keep publishing through it; 0 = fail closed. */
  ingestOutageGraceSeconds: number;
  /** Ended publish sessions (they hold encoder addresses) are deleted after this many days. */
  ingestSessionRetentionDays: number;
  logLevel: string;
  corsOrigins: string[];
  trustProxy: boolean | number | string[];
  /** How long readiness reports 503 before the server stops accepting, so load balancers notice. */
  shutdownDrainMs: number;
  /** Where the embedded PostgreSQL and generated secrets live. */
  dataDir: string;
}

export type ResolvedConfig = AppConfig & {
  databaseUrl: string;
  jwtSecret: string;
  ingestSecret: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoadOptions {
  /**
   * false: JWT_SECRET, INGEST_SECRET and WEBHOOK_SECRET are neither read nor required
   * (they stay undefined). For tools that only touch the database, such as the migration
   * Job: least privilege, so their environment need not hold the app's secrets.
   */
  secrets?: boolean;
}

/**
 * Parses the environment. Collects every problem before failing, so an operator
 * fixes all bad variables in one go; each message starts with the variable's name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): AppConfig {
  const withSecrets = options.secrets ?? true;
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return Number(value);
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  };

  const postgresUrl = (name: string, value: string): string => {
    try {
      const url = new URL(value);
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error();
      if (!url.hostname) throw new Error();
    } catch {
      // Never echo the value: it usually holds a password.
      problems.push(`${name} must be a postgres:// or postgresql:// URL with a host`);
    }
    return value;
  };

  const list = (name: string): string[] =>
    (raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);

  const nodeEnv = raw('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';

  const databaseUrlRaw = raw('DATABASE_URL');
  const databaseUrl = databaseUrlRaw === undefined ? undefined : postgresUrl('DATABASE_URL', databaseUrlRaw);
  if (production && databaseUrl === undefined) {
    problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development only)');
  }
  const replicaUrls = list('DATABASE_REPLICA_URLS').map((url) => postgresUrl('DATABASE_REPLICA_URLS', url));

  // Messages name the variable, never its value.
  const secret = (name: string, required: boolean): string | undefined => {
    const value = withSecrets ? raw(name) : undefined;
    if (value === undefined) {
      if (withSecrets && required)
        problems.push(`${name} is required when ${name === 'WEBHOOK_SECRET' ? 'WEBHOOK_URL is set' : 'NODE_ENV=production'}`);
      return undefined;
    }
    if (Buffer.byteLength(value, 'utf8') < 32) problems.push(`${name} must be at least 32 bytes long`);
    else if (production) {
      const weakness = secretWeakness(value);
      if (weakness) problems.push(`${name} ${weakness}: generate one with \`openssl rand -base64 48\``);
    }
    return value;
  };
  const jwtSecret = secret('JWT_SECRET', production);
  const ingestSecret = secret('INGEST_SECRET', production);
  const webhookUrl = raw('WEBHOOK_URL');
  if (webhookUrl !== undefined && !/^https?:$/.test(parseUrl(webhookUrl)?.protocol ?? '')) {
    // Never echo the value: it may carry credentials.
    problems.push('WEBHOOK_URL must be an http:// or https:// URL');
  }
  const webhookSecret = secret('WEBHOOK_SECRET', webhookUrl !== undefined);
  if (production) {
    // One leaked secret must not open the others: each signs or guards something different.
    const named = [
      ['JWT_SECRET', jwtSecret],
      ['INGEST_SECRET', ingestSecret],
      ['WEBHOOK_SECRET', webhookSecret],
    ] as const;
    named.forEach(([name, value], i) => {
      const same = named.slice(0, i).find(([, other]) => value !== undefined && other === value);
      if (same) problems.push(`${name} must differ from ${same[0]}`);
    });
  }

  const bcryptCost = int('BCRYPT_COST', 12, nodeEnv === 'test' ? 4 : 10, 31);

  const logLevel = (raw('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const corsOrigins = list('CORS_ORIGINS');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS entries must look like https://host[:port], got "${origin}"`);
  }

  const config: AppConfig = {
    nodeEnv,
    port: int('PORT', 3000, 0, 65535),
    host: raw('HOST') ?? '0.0.0.0',
    databaseUrl,
    replicaUrls,
    dbPoolMax: int('DB_POOL_MAX', 10, 1, 1000),
    dbConnectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
    dbStatementTimeoutMs: int('DB_STATEMENT_TIMEOUT_MS', 5000, 100, 3_600_000),
    dbPgBouncer: bool('DB_PGBOUNCER', false),
    dbPgBouncerPreparedStatements: bool('DB_PGBOUNCER_PREPARED_STATEMENTS', false),
    migrationsRun: bool('MIGRATIONS_RUN', true),
    jwtSecret,
    jwtAccessTtlSeconds: int('JWT_ACCESS_TTL_SECONDS', 900, 10, 86_400),
    jwtRefreshTtlSeconds: int('JWT_REFRESH_TTL_SECONDS', 2_592_000, 60, 31_536_000),
    // 90 days; down to 5 s so tests can watch a session end.
    jwtRefreshAbsoluteTtlSeconds: int('JWT_REFRESH_ABSOLUTE_TTL_SECONDS', 7_776_000, 5, 315_360_000),
    ingestSecret,
    webhookUrl,
    webhookSecret,
    webhookRetryHours: int('WEBHOOK_RETRY_HOURS', 24, 0, 720),
    webhookRetryBaseSeconds: int('WEBHOOK_RETRY_BASE_SECONDS', 10, 1, 3600),
    webhookAllowPrivateNetworks: bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    bcryptCost,
    uvThreadPoolSize: int('UV_THREADPOOL_SIZE', 4, 1, 1024),
    authRateLimitPerMinute: int('AUTH_RATE_LIMIT_PER_MINUTE', 10, 0, 1_000_000),
    authAccountRateLimitPer15Minutes: int('AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES', 20, 0, 1_000_000),
    bcryptMaxQueue: int('BCRYPT_MAX_QUEUE', 64, 0, 1_000_000),
    streamDefaultTtlSeconds: int('STREAM_DEFAULT_TTL_SECONDS', 604_800, 60, 31_536_000),
    streamSweepIntervalSeconds: int('STREAM_SWEEP_INTERVAL_SECONDS', 60, 1, 86_400),
    // nginx-rtmp sends on_update every notify_update_timeout (30 s by default): four missed updates.
    ingestSessionTimeoutSeconds: int('INGEST_SESSION_TIMEOUT_SECONDS', 120, 10, 86_400),
    maxStreamsPerUser: int('MAX_STREAMS_PER_USER', 100, 0, 1_000_000),
    maxLiveStreamsPerUser: int('MAX_LIVE_STREAMS_PER_USER', 5, 0, 1_000_000),
    ingestOutageGraceSeconds: int('INGEST_OUTAGE_GRACE_SECONDS', 300, 0, 86_400),
    ingestSessionRetentionDays: int('INGEST_SESSION_RETENTION_DAYS', 30, 1, 3650),
    logLevel,
    corsOrigins,
    trustProxy: parseTrustProxy(raw('TRUST_PROXY'), problems),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_MS', production ? 5000 : 0, 0, 600_000),
    dataDir: resolve(raw('DATA_DIR') ?? '.data'),
  };

  if (config.dbPgBouncer && config.migrationsRun) {
    // The migration lock is a session advisory lock: through a transaction pooler it would be held by a
    // server connection that other clients then use. Migrations run against PostgreSQL directly.
    problems.push(
      'MIGRATIONS_RUN must be false when DB_PGBOUNCER=true: run migrations with `npm run migration:run:locked` against PostgreSQL directly',
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function parseTrustProxy(value: string | undefined, problems: string[]): boolean | number | string[] {
  if (value === undefined || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const cidrs = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const looksLikeAddress = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
  const bad = cidrs.filter((item) => !looksLikeAddress.test(item));
  if (bad.length > 0 || cidrs.length === 0) {
    problems.push(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of proxy IPs/CIDRs, got "${value}"`);
    return false;
  }
  return cidrs;
}
