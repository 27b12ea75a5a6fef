import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
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
  it('DB_PGBOUNCER_PREPARED_STATEMENTS is read with DB_PGBOUNCER, and harmless without it (the migration Job overrides DB_PGBOUNCER alone)', () => {
    expect(loadConfig({ DB_PGBOUNCER: 'true', MIGRATIONS_RUN: 'false', DB_PGBOUNCER_PREPARED_STATEMENTS: 'true' })).toMatchObject({
      dbPgBouncer: true,
      dbPgBouncerPreparedStatements: true,
    });
    expect(problemsOf({ DB_PGBOUNCER: 'false', DB_PGBOUNCER_PREPARED_STATEMENTS: 'true' })).toEqual([]);
    expect(namesIn(problemsOf({ DB_PGBOUNCER_PREPARED_STATEMENTS: 'maybe' }))).toEqual(['DB_PGBOUNCER_PREPARED_STATEMENTS']);
  });

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
      dbPgBouncer: false,
      dbPgBouncerPreparedStatements: false,
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

  it('abuse limits: account login limit and bcrypt queue (0 allowed), absolute session lifetime (5 s and up)', () => {
    const config = loadConfig({
      AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES: '0',
      BCRYPT_MAX_QUEUE: '0',
      JWT_REFRESH_ABSOLUTE_TTL_SECONDS: '5',
    });
    expect(config).toMatchObject({ authAccountRateLimitPer15Minutes: 0, bcryptMaxQueue: 0, jwtRefreshAbsoluteTtlSeconds: 5 });
    const problems = problemsOf({
      AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES: '-1',
      BCRYPT_MAX_QUEUE: 'many',
      JWT_REFRESH_ABSOLUTE_TTL_SECONDS: '4',
    });
    expect(namesIn(problems)).toEqual(['AUTH_ACCOUNT_RATE_LIMIT_PER_15_MINUTES', 'BCRYPT_MAX_QUEUE', 'JWT_REFRESH_ABSOLUTE_TTL_SECONDS']);
  });

  it('takes 0 for "no limit" and "fail closed" on the live ingest settings, and names bad ones', () => {
    const config = loadConfig({
      MAX_STREAMS_PER_USER: '0',
      MAX_LIVE_STREAMS_PER_USER: '0',
      INGEST_OUTAGE_GRACE_SECONDS: '0',
      INGEST_SESSION_RETENTION_DAYS: '7',
    });
    expect(config).toMatchObject({
      maxStreamsPerUser: 0,
      maxLiveStreamsPerUser: 0,
      ingestOutageGraceSeconds: 0,
      ingestSessionRetentionDays: 7,
    });
    const problems = problemsOf({
      MAX_STREAMS_PER_USER: '-1',
      MAX_LIVE_STREAMS_PER_USER: 'many',
      INGEST_OUTAGE_GRACE_SECONDS: '1.5',
      INGEST_SESSION_RETENTION_DAYS: '0',
    });
    expect(namesIn(problems)).toEqual([
      'INGEST_OUTAGE_GRACE_SECONDS',
      'INGEST_SESSION_RETENTION_DAYS',
      'MAX_LIVE_STREAMS_PER_USER',
      'MAX_STREAMS_PER_USER',
    ]);
  });

  it('parses lists and TRUST_PROXY forms', () => {
    const config = loadConfig({
      DATABASE_REPLICA_URLS: 'postgres://a/db, postgres://b/db',
      CORS_ORIGINS: 'https://app.example.com',
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
    });
    expect(config.replicaUrls).toEqual(['postgres://a/db', 'postgres://b/db']);
    expect(config.corsOrigins).toEqual(['https://app.example.com']);
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(problemsOf({ TRUST_PROXY: 'everyone' })[0]).toMatch(/^TRUST_PROXY/);
  });

  describe('secrets in production', () => {
    const strong = () => randomBytes(32).toString('base64url');
    const production = (secrets: Record<string, string> = {}) => ({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app:pw@db/streamly',
      JWT_SECRET: strong(),
      INGEST_SECRET: strong(),
      ...secrets,
    });

    it('accepts random values of 32 bytes or more in the forms the docs suggest (hex, base64, base64url)', () => {
      for (let i = 0; i < 200; i++) {
        const env = production({
          JWT_SECRET: randomBytes(16).toString('hex'),
          INGEST_SECRET: randomBytes(48).toString('base64'),
          WEBHOOK_URL: 'https://hooks.example.net/streamly',
          WEBHOOK_SECRET: randomBytes(24).toString('base64'),
        });
        expect(problemsOf(env)).toEqual([]);
      }
    });

    it.each(['JWT_SECRET', 'INGEST_SECRET', 'WEBHOOK_SECRET'])(
      '%s: low-entropy values stop the start, naming the variable and not the value',
      (name) => {
        const weak = [
          'a'.repeat(40),
          'passwordpasswordpasswordpassword1',
          'abcabcabcabcabcabcabcabcabcabcabcabc',
          '0123456789abcdef0123456789abcdef',
          'abcdefghijklmnopqrstuvwxyz0123456789',
          '12345678901234567890123456789012',
        ];
        for (const value of weak) {
          const problems = problemsOf(production({ WEBHOOK_URL: 'https://hooks.example.net/x', WEBHOOK_SECRET: strong(), [name]: value }));
          expect(namesIn(problems)).toEqual([name]);
          expect(problems[0]).toMatch(/entropy/);
          expect(problems.join()).not.toContain(value);
        }
      },
    );

    it('refuses the same value for two secrets: each variable that repeats an earlier one is named', () => {
      const shared = strong();
      expect(problemsOf(production({ JWT_SECRET: shared, INGEST_SECRET: shared }))).toEqual(['INGEST_SECRET must differ from JWT_SECRET']);
      expect(problemsOf(production({ WEBHOOK_URL: 'https://h.example.net/', WEBHOOK_SECRET: shared, INGEST_SECRET: shared }))).toEqual([
        'WEBHOOK_SECRET must differ from INGEST_SECRET',
      ]);
    });

    it('refuses every secret value written in secret.example.yaml, the README and the compose file', () => {
      const placeholders = new Set<string>();
      for (const doc of parseAllDocuments(readFileSync('deploy/kubernetes/secret.example.yaml', 'utf8'))) {
        const data = (doc.toJS() as { stringData?: Record<string, string> }).stringData ?? {};
        for (const [key, value] of Object.entries(data)) if (key.endsWith('-secret')) placeholders.add(value);
      }
      expect(placeholders.size).toBeGreaterThan(0);
      for (const file of ['README.md', 'docker-compose.yml', 'docs/operations.md']) {
        const text = readFileSync(file, 'utf8');
        // JWT_SECRET=value, INGEST_SECRET: value, ?secret=<INGEST_SECRET> ...
        for (const match of text.matchAll(/(?:[A-Z]+_SECRET|secret)\s*[=:]\s*["']?([^\s"';&]+)/g)) placeholders.add(match[1]);
      }
      for (const value of placeholders) {
        for (const name of ['JWT_SECRET', 'INGEST_SECRET', 'WEBHOOK_SECRET']) {
          const problems = problemsOf(production({ WEBHOOK_URL: 'https://h.example.net/', WEBHOOK_SECRET: strong(), [name]: value }));
          expect({ value, names: namesIn(problems) }).toEqual({ value, names: [name] });
        }
      }
    });

    it('outside production only the length is checked (development secrets are generated anyway)', () => {
      expect(problemsOf({ JWT_SECRET: 'a'.repeat(32), INGEST_SECRET: 'a'.repeat(32) })).toEqual([]);
    });
  });

  describe('WEBHOOK_URL and WEBHOOK_SECRET', () => {
    it('are optional, and WEBHOOK_URL needs a WEBHOOK_SECRET of at least 32 bytes', () => {
      expect(loadConfig({})).toMatchObject({ webhookUrl: undefined, webhookSecret: undefined });
      expect(problemsOf({ WEBHOOK_URL: 'https://hooks.example.net/streamly' })).toEqual([
        'WEBHOOK_SECRET is required when WEBHOOK_URL is set',
      ]);
      expect(problemsOf({ WEBHOOK_URL: 'https://hooks.example.net/streamly', WEBHOOK_SECRET: 'short' })).toEqual([
        'WEBHOOK_SECRET must be at least 32 bytes long',
      ]);
      const secret = randomBytes(32).toString('hex');
      expect(loadConfig({ WEBHOOK_URL: 'https://hooks.example.net/streamly', WEBHOOK_SECRET: secret })).toMatchObject({
        webhookUrl: 'https://hooks.example.net/streamly',
        webhookSecret: secret,
      });
    });

    it('WEBHOOK_URL must be http(s), and a bad one is not echoed (it may hold credentials)', () => {
      const problems = problemsOf({ WEBHOOK_URL: 'ftp://user:pa55word@host/x', WEBHOOK_SECRET: randomBytes(32).toString('hex') });
      expect(problems).toEqual(['WEBHOOK_URL must be an http:// or https:// URL']);
    });
  });

  it('tools that only touch the database (migrations) neither read nor require the secrets', () => {
    const config = loadConfig(
      { NODE_ENV: 'production', DATABASE_URL: 'postgres://m:pw@db/streamly', JWT_SECRET: 'weak' },
      { secrets: false },
    );
    expect(config).toMatchObject({ jwtSecret: undefined, ingestSecret: undefined, webhookSecret: undefined });
  });
});
