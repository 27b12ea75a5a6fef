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
      jwtRefreshAbsoluteTtlSeconds: 7_776_000,
      bcryptCost: 12,
      bcryptMaxQueue: 64,
      authRateLimitPerMinute: 10,
      authAccountRateLimitPer15Minutes: 20,
      streamDefaultTtlSeconds: 604_800,
      streamSweepIntervalSeconds: 60,
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

  it('abuse limits: account login limit and bcrypt queue (0 allowed), absolute session lifetime (5 s and up)', () => {
    const config = loadConfig({ AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES: '0', BCRYPT_MAX_QUEUE: '0', JWT_REFRESH_ABSOLUTE_TTL_SECONDS: '5' });
    expect(config).toMatchObject({ authAccountRateLimitPer15Minutes: 0, bcryptMaxQueue: 0, jwtRefreshAbsoluteTtlSeconds: 5 });
    const problems = problemsOf({ AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES: '-1', BCRYPT_MAX_QUEUE: 'many', JWT_REFRESH_ABSOLUTE_TTL_SECONDS: '4' });
    expect(namesIn(problems)).toEqual(['AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES', 'BCRYPT_MAX_QUEUE', 'JWT_REFRESH_ABSOLUTE_TTL_SECONDS']);
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
