// `npm run bench:webhooks`: what one instance's delivery worker does against a fast local
// receiver (node:http answering 200 at once, in this process).
// 1. Throughput: BENCH_EVENTS (default 20000) stream events over BENCH_STREAMS (default 1000)
//    streams are committed at once into the outbox; events/s = events / (last delivery - commit).
// 2. Latency: BENCH_SAMPLES (default 300) times, one transaction marks a stream live and records
//    stream.live (what the live-period code does); delay = receiver's arrival - COMMIT returned.
// The API runs as operators run it (node dist/src/main.js, NODE_ENV=production, LOG_LEVEL=warn).
// DATABASE_URL: a server to create a scratch database on (default: the machine's, 127.0.0.1:5432).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import pg from 'pg';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = (line) => process.stdout.write(`${line}\n`);
const freePort = () =>
  new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// The receiver: records arrival time per event id.
const arrivals = new Map();
let onArrival = () => undefined;
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = req.headers['streamly-event-id'];
    if (!arrivals.has(id)) arrivals.set(id, performance.now());
    res.writeHead(200).end();
    onArrival();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

const dbName = `bench_webhooks_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: SERVER });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const url = new URL(SERVER);
url.pathname = `/${dbName}`;
const port = await freePort();
const api = spawn(process.execPath, ['dist/src/main.js'], {
  env: {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: url.toString(),
    JWT_SECRET: randomBytes(32).toString('hex'),
    INGEST_SECRET: randomBytes(32).toString('hex'),
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    BCRYPT_COST: '10',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    SHUTDOWN_DRAIN_MS: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
// A crash of this script must not leave the API running.
process.on('exit', () => api.kill('SIGKILL'));
const db = new pg.Client({ connectionString: url.toString() });
try {
  const base = `http://127.0.0.1:${port}/api/v1`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error('API did not start');
    await sleep(100);
  }
  const post = (path, body, token) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const user = await post('/users', { username, email: `${username}@example.com`, password: 'correct horse battery' });
  const { accessToken } = await post('/auth/login', { login: username, password: 'correct horse battery' });
  await post('/webhooks', { url: receiverUrl }, accessToken);
  await db.connect();
  await db.query(
    `INSERT INTO streams (user_id, stream_key, status, expires_at) SELECT $1, md5(random()::text) || g, 'active', now() + interval '1 day' FROM generate_series(1, $2) g`,
    [user.id, STREAMS],
  );
  const ids = (await db.query(`SELECT id FROM streams ORDER BY id`)).rows.map((r) => r.id);

  // 1. Throughput.
  const done = new Promise((resolve) => (onArrival = () => arrivals.size >= EVENTS && resolve()));
  const started = performance.now();
  await db.query(
    `INSERT INTO stream_events (id, type, stream_id, user_id, stream)
     SELECT gen_random_uuid(), 'stream.enabled', s.id, s.user_id, jsonb_build_object('id', s.id, 'userId', s.user_id, 'status', 'active')
     FROM generate_series(1, $1) g JOIN streams s ON s.id = ($2::int[])[1 + g % array_length($2::int[], 1)] ORDER BY g`,
    [EVENTS, ids],
  );
  await done;
  const seconds = (Math.max(...arrivals.values()) - started) / 1000;
  log(
    `throughput: ${EVENTS} events over ${STREAMS} streams delivered in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)} events/s (one instance, one endpoint)`,
  );

  // 2. Latency of stream.live, one at a time.
  await sleep(1500);
  arrivals.clear();
  const delays = [];
  for (let i = 0; i < SAMPLES; i++) {
    const streamId = ids[i % ids.length];
    await db.query('BEGIN');
    await db.query(`UPDATE streams SET status = 'live', updated_at = now() WHERE id = $1`, [streamId]);
    const { rows } = await db.query(
      `INSERT INTO stream_events (id, type, stream_id, user_id, stream) SELECT gen_random_uuid(), 'stream.live', id, user_id, jsonb_build_object('id', id, 'status', status) FROM streams WHERE id = $1 RETURNING id`,
      [streamId],
    );
    await db.query('COMMIT');
    const committed = performance.now();
    const eventId = rows[0].id;
    await new Promise((resolve) => {
      onArrival = () => arrivals.has(eventId) && resolve();
      onArrival();
    });
    delays.push(arrivals.get(eventId) - committed);
    await db.query(`UPDATE streams SET status = 'active' WHERE id = $1`, [streamId]);
    await sleep(20 + Math.random() * 30);
  }
  delays.sort((a, b) => a - b);
  log(
    `stream.live change -> delivery (${SAMPLES} samples): median ${quantile(delays, 0.5).toFixed(1)} ms, p99 ${quantile(delays, 0.99).toFixed(1)} ms, max ${delays.at(-1).toFixed(1)} ms`,
  );
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  await db.end().catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
  receiver.close();
}
