import { APP_SCHEMA } from '../src/app.schema.js';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../src/database/embedded-postgres.js';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase, query } from './helpers/database.js';
import { acceptsConnections, timedFetch, waitFor } from './helpers/http.js';
import { createCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';

const isWarn = (line: Record<string, unknown>) => line.level === 'warn';
const message = (line: Record<string, unknown>) => (typeof line.msg === 'string' ? line.msg : '');

/**
 * A request whose body arrives slowly: in flight for as long as the client takes to
 * send it, like a real upload on a slow link. Resolves with the raw response once the
 * server answers.
 */
function slowUpload(port: number, path: string, body: string) {
  const socket = connect(port, '127.0.0.1');
  let response = '';
  const answered = new Promise<{ statusLine: string; raw: string; at: number }>((resolve, reject) => {
    socket.on('data', (chunk) => {
      response += chunk.toString();
      if (response.includes('\r\n\r\n')) resolve({ statusLine: response.split('\r\n')[0], raw: response, at: performance.now() });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed without a response: ${JSON.stringify(response)}`)));
  });
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  // write, not end: a client that half-closes its socket gets it closed by Node before any answer.
  return { answered, finish: () => socket.write(body.slice(half)), destroy: () => socket.destroy() };
}

describe('process lifecycle (node dist/src/main.js)', () => {
  let api: ApiProcess | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  it('SIGTERM: readiness 503 at once, serving during the drain delay, then no new connections, the in-flight request completes, pool closed, exit 0', async () => {
    const database = await createDatabase('shutdown');
    try {
      const drainMs = 1500;
      api = await startApiProcess({ env: { DATABASE_URL: database.url, SHUTDOWN_DRAIN_MS: String(drainMs) } });
      expect((await timedFetch(`${api.url}/health/ready`)).status).toBe(200);

      // A sign-up, in flight while its body is still arriving.
      const upload = slowUpload(
        api.port,
        '/api/v1/users',
        JSON.stringify({ username: 'slow_uploader', email: 'slow@example.com', password: 'correct horse battery' }),
      );
      upload.answered.catch(() => undefined); // awaited below; a failure before that is reported by the assertion that failed
      await new Promise((resolve) => setTimeout(resolve, 200));

      const signalledAt = performance.now();
      api.child.kill('SIGTERM');
      await api.waitForLog((line) => message(line).startsWith('SIGTERM received'));

      const ready = await timedFetch(`${api.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'error', error: { shutdown: { status: 'down' } } });
      expect(performance.now() - signalledAt).toBeLessThan(drainMs / 2);
      // Still serving during the drain: liveness and other routes answer.
      expect((await timedFetch(`${api.url}/health/live`)).status).toBe(200);

      await api.waitForLog((line) => message(line).startsWith('Drain delay over'));
      expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(drainMs - 50);
      const port = api.port;
      await waitFor(async () => !(await acceptsConnections(port)), 2000, 20); // the listening socket closes right after
      expect(api.child.exitCode).toBeNull(); // still waiting for the upload

      upload.finish();
      const response = await upload.answered;
      // The sign-up it carried went through: in flight at SIGTERM is not lost.
      expect(response.statusLine).toBe('HTTP/1.1 201 Created');
      upload.destroy();

      const exit = await api.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(api.logs().some((line) => message(line) === 'Shutdown complete')).toBe(true);
      const { rows } = await query(
        database.url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'streamly-api'",
      );
      expect(rows[0].n).toBe(0);
      console.info(
        `[shutdown] in-flight upload answered "${response.statusLine}" ${Math.round(response.at - signalledAt)} ms after SIGTERM; exit 0`,
      );
    } finally {
      await api?.stop();
      await database.drop();
    }
  }, 60_000);

  it('an unreachable database at startup: retries logged at warn naming host and database (never the password), then exit 1', async () => {
    const port = await freePort(); // nothing listens there
    const started = performance.now();
    api = await startApiProcess({
      env: { DATABASE_URL: `postgres://streamly:Sup3rSecretPw@127.0.0.1:${port}/streamly`, LOG_LEVEL: 'warn' },
      waitUntilListening: false,
    });
    const exit = await api.exited;
    const seconds = (performance.now() - started) / 1000;

    expect(exit.code).toBe(1);
    const warnings = api.logs().filter(isWarn).map(message);
    expect(warnings).toHaveLength(5);
    for (const warning of warnings) expect(warning).toContain(`Database 127.0.0.1:${port}/streamly is not reachable`);
    const errors = api
      .logs()
      .filter((line) => line.level === 'error')
      .map(message);
    expect(errors.join('\n')).toContain(`Database 127.0.0.1:${port}/streamly is unreachable after 6 attempts`);
    expect(api.output.join('\n')).not.toContain('Sup3rSecretPw');
    expect(api.output.join('\n')).not.toMatch(/Retrying \(/); // no second, misleading retry log from TypeORM
    console.info(`[startup] gave up after ${seconds.toFixed(1)} s, exit code 1`);
  }, 60_000);
});

describe('migration CLI (node dist/src/migrate.cli.js, the deploy Job)', () => {
  const runCli = (databaseUrl: string) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      // As the Job runs it: production, database credentials only (no JWT or ingest secret).
      const child = spawn(process.execPath, ['dist/src/migrate.cli.js'], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DATABASE_URL: databaseUrl },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });

  it('two Jobs at once: both exit 0, the migrations are applied exactly once', async () => {
    const database = await createDatabase('migrate');
    try {
      const [first, second] = await Promise.all([runCli(database.url), runCli(database.url)]);
      expect([first.code, second.code]).toEqual([0, 0]);
      const applied = (first.output + second.output).match(/Applied migration InitialSchema1700000000000/g) ?? [];
      expect(applied).toHaveLength(1);
      expect(first.output + second.output).toContain('No pending migrations');
      const { rows } = await query(database.url, 'SELECT count(*)::int AS n FROM migrations');
      expect(rows[0].n).toBe(APP_SCHEMA.migrations.length + 1);
    } finally {
      await database.drop();
    }
  }, 60_000);

  it('refuses to run through PgBouncer (DB_PGBOUNCER=true) and exits 1', async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['dist/src/migrate.cli.js'], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: 'postgres://u@127.0.0.1:1/x', DB_PGBOUNCER: 'true' },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('migrations need DATABASE_URL to reach PostgreSQL directly');
  });
});

describeWithTools('startup while PostgreSQL is still coming up', ['initdb', 'pg_ctl'], () => {
  it('keeps retrying and starts once the database answers', async () => {
    const cluster = await createCluster();
    let api: ApiProcess | undefined;
    try {
      await cluster.sql('CREATE DATABASE app');
      await cluster.stop();
      api = await startApiProcess({ env: { DATABASE_URL: cluster.url('app') }, waitUntilListening: false });
      await api.waitForLog((line) => isWarn(line) && message(line).includes(`127.0.0.1:${cluster.port}/app is not reachable`));
      await cluster.start();
      await api.waitForLog((line) => message(line).startsWith('Streamly API listening'));
      expect((await timedFetch(`${api.url}/health`)).status).toBe(200);
      api.child.kill('SIGTERM');
      expect(await api.exited).toEqual({ code: 0, signal: null });
    } finally {
      await api?.stop();
      await cluster.destroy();
    }
  }, 60_000);
});
