import { resolve } from 'node:path';

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
  migrationsRun: boolean;
  /** Filled from `./.data/` outside production when unset. */
  jwtSecret: string | undefined;
  jwtAccessTtlSeconds: number;
  jwtRefreshTtlSeconds: number;
  ingestSecret: string | undefined;
  bcryptCost: number;
  /** libuv's thread pool size (its own variable, read here so it is validated and visible); bcrypt runs there. */
  uvThreadPoolSize: number;
  authRateLimitPerMinute: number;
  streamDefaultTtlSeconds: number;
  streamSweepIntervalSeconds: number;
  /** An nginx-rtmp publish session without `on_update` for this long is closed by the sweep. */
  ingestSessionTimeoutSeconds: number;
  logLevel: string;
  corsOrigins: string[];
  trustProxy: boolean | number | string[];
  /** How long readiness reports 503 before the server stops accepting, so load balancers notice. */
  shutdownDrainMs: number;
  /** Where the embedded PostgreSQL and generated secrets live. */
  dataDir: string;
  // ---- webhooks (issue 11) ----
  /** The operator endpoint that receives every event, and its signing secret (both unset, or both set). */
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  /** How long a failing delivery is retried before it is marked `failed`; 0 = one attempt only. */
  webhookRetryHours: number;
  /** The first retry's delay; each later one doubles it (with jitter), up to an hour. */
  webhookRetryBaseSeconds: number;
  /** Endpoints on loopback, private, link-local or metadata addresses are allowed (development, internal services). */
  webhookAllowPrivateNetworks: boolean;
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

/**
 * Parses the environment. Collects every problem before failing, so an operator
 * fixes all bad variables in one go; each message starts with the variable's name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
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

  const secret = (name: string): string | undefined => {
    const value = raw(name);
    if (value === undefined) {
      if (production) problems.push(`${name} is required when NODE_ENV=production`);
      return undefined;
    }
    if (Buffer.byteLength(value, 'utf8') < 32) problems.push(`${name} must be at least 32 bytes long`);
    return value;
  };

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
    migrationsRun: bool('MIGRATIONS_RUN', true),
    jwtSecret: secret('JWT_SECRET'),
    jwtAccessTtlSeconds: int('JWT_ACCESS_TTL_SECONDS', 900, 10, 86_400),
    jwtRefreshTtlSeconds: int('JWT_REFRESH_TTL_SECONDS', 2_592_000, 60, 31_536_000),
    ingestSecret: secret('INGEST_SECRET'),
    bcryptCost,
    uvThreadPoolSize: int('UV_THREADPOOL_SIZE', 4, 1, 1024),
    authRateLimitPerMinute: int('AUTH_RATE_LIMIT_PER_MINUTE', 10, 0, 1_000_000),
    streamDefaultTtlSeconds: int('STREAM_DEFAULT_TTL_SECONDS', 604_800, 60, 31_536_000),
    streamSweepIntervalSeconds: int('STREAM_SWEEP_INTERVAL_SECONDS', 60, 1, 86_400),
    // nginx-rtmp sends on_update every notify_update_timeout (30 s by default): four missed updates.
    ingestSessionTimeoutSeconds: int('INGEST_SESSION_TIMEOUT_SECONDS', 120, 10, 86_400),
    logLevel,
    corsOrigins,
    trustProxy: parseTrustProxy(raw('TRUST_PROXY'), problems),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_MS', production ? 5000 : 0, 0, 600_000),
    dataDir: resolve(raw('DATA_DIR') ?? '.data'),
    ...webhookConfig(),
  };

  // ---- webhooks (issue 11): parsed here only if no other branch did; messages never echo a value ----
  function webhookConfig(): Pick<AppConfig, 'webhookUrl' | 'webhookSecret' | 'webhookRetryHours' | 'webhookRetryBaseSeconds' | 'webhookAllowPrivateNetworks'> {
    const webhookUrl = raw('WEBHOOK_URL');
    if (webhookUrl !== undefined && !/^https?:$/.test(urlProtocol(webhookUrl))) problems.push('WEBHOOK_URL must be an http:// or https:// URL');
    const webhookSecret = raw('WEBHOOK_SECRET');
    if (webhookUrl !== undefined && webhookSecret === undefined) problems.push('WEBHOOK_SECRET is required when WEBHOOK_URL is set');
    if (webhookSecret !== undefined && Buffer.byteLength(webhookSecret, 'utf8') < 32) problems.push('WEBHOOK_SECRET must be at least 32 bytes long');
    return {
      webhookUrl,
      webhookSecret,
      webhookRetryHours: int('WEBHOOK_RETRY_HOURS', 24, 0, 720),
      webhookRetryBaseSeconds: int('WEBHOOK_RETRY_BASE_SECONDS', 10, 1, 3600),
      webhookAllowPrivateNetworks: bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    };
  }

  if (config.dbPgBouncer && config.migrationsRun) {
    // The migration lock is a session advisory lock: through a transaction pooler it would be held by a
    // server connection that other clients then use. Migrations run against PostgreSQL directly.
    problems.push('MIGRATIONS_RUN must be false when DB_PGBOUNCER=true: run migrations with `npm run migration:run:locked` against PostgreSQL directly');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `https:` of a URL, '' when it does not parse. */
function urlProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}

function parseTrustProxy(value: string | undefined, problems: string[]): boolean | number | string[] {
  if (value === undefined || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const cidrs = value.split(',').map((item) => item.trim()).filter(Boolean);
  const looksLikeAddress = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
  const bad = cidrs.filter((item) => !looksLikeAddress.test(item));
  if (bad.length > 0 || cidrs.length === 0) {
    problems.push(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of proxy IPs/CIDRs, got "${value}"`);
    return false;
  }
  return cidrs;
}
