import { ConfigError, loadConfig } from '../src/config/app-config.js';

const namesIn = (problems: string[]) => problems.map((p) => p.split(' ')[0]).sort();

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration', () => {
  it('has the documented defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      replicaUrls: [],
      dbPoolMax: 10,
      dbConnectTimeoutMs: 2000,
      dbStatementTimeoutMs: 5000,
      migrationsRun: true,
      jwtAccessTtlSeconds: 900,
      jwtRefreshTtlSeconds: 2_592_000,
      bcryptCost: 12,
      authRateLimitPerMinute: 10,
      streamDefaultTtlSeconds: 604_800,
      streamSweepIntervalSeconds: 60,
      maxStreamsPerUser: 100,
      maxLiveStreamsPerUser: 5,
      ingestOutageGraceSeconds: 300,
      ingestSessionRetentionDays: 30,
      logLevel: 'info',
      corsOrigins: [],
      trustProxy: false,
    });
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'abc', DB_POOL_MAX: '0', MIGRATIONS_RUN: 'maybe', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(namesIn(problems)).toEqual(['DATABASE_URL', 'DB_POOL_MAX', 'LOG_LEVEL', 'MIGRATIONS_RUN', 'PORT']);
  });

  it('never echoes a database URL, which usually holds a password', () => {
    const problems = problemsOf({ DATABASE_URL: 'not a url with s3cret' });
    expect(problems.join()).toContain('DATABASE_URL');
    expect(problems.join()).not.toContain('s3cret');
  });

  it('requires DATABASE_URL, JWT_SECRET and INGEST_SECRET in production, and no weak bcrypt cost', () => {
    const problems = problemsOf({ NODE_ENV: 'production', BCRYPT_COST: '4' });
    expect(namesIn(problems)).toEqual(['BCRYPT_COST', 'DATABASE_URL', 'INGEST_SECRET', 'JWT_SECRET']);
  });

  it('refuses secrets shorter than 32 bytes', () => {
    expect(problemsOf({ JWT_SECRET: 'short' })).toEqual(['JWT_SECRET must be at least 32 bytes long']);
  });

  it('allows a low bcrypt cost only under NODE_ENV=test', () => {
    expect(problemsOf({ BCRYPT_COST: '9' })[0]).toMatch(/^BCRYPT_COST/);
    expect(loadConfig({ NODE_ENV: 'test', BCRYPT_COST: '4' }).bcryptCost).toBe(4);
  });

  it('takes 0 for "no limit" and "fail closed" on the live ingest settings, and names bad ones', () => {
    const config = loadConfig({ MAX_STREAMS_PER_USER: '0', MAX_LIVE_STREAMS_PER_USER: '0', INGEST_OUTAGE_GRACE_SECONDS: '0', INGEST_SESSION_RETENTION_DAYS: '7' });
    expect(config).toMatchObject({ maxStreamsPerUser: 0, maxLiveStreamsPerUser: 0, ingestOutageGraceSeconds: 0, ingestSessionRetentionDays: 7 });
    const problems = problemsOf({ MAX_STREAMS_PER_USER: '-1', MAX_LIVE_STREAMS_PER_USER: 'many', INGEST_OUTAGE_GRACE_SECONDS: '1.5', INGEST_SESSION_RETENTION_DAYS: '0' });
    expect(namesIn(problems)).toEqual(['INGEST_OUTAGE_GRACE_SECONDS', 'INGEST_SESSION_RETENTION_DAYS', 'MAX_LIVE_STREAMS_PER_USER', 'MAX_STREAMS_PER_USER']);
  });

  it('parses lists and TRUST_PROXY forms', () => {
    const config = loadConfig({ DATABASE_REPLICA_URLS: 'postgres://a/db, postgres://b/db', CORS_ORIGINS: 'https://app.example.com', TRUST_PROXY: '10.0.0.0/8,127.0.0.1' });
    expect(config.replicaUrls).toEqual(['postgres://a/db', 'postgres://b/db']);
    expect(config.corsOrigins).toEqual(['https://app.example.com']);
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(problemsOf({ TRUST_PROXY: 'everyone' })[0]).toMatch(/^TRUST_PROXY/);
  });
});
