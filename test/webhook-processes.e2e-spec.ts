import { randomBytes } from 'node:crypto';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase, query } from './helpers/database.js';
import { timedFetch, waitFor } from './helpers/http.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * Real processes (`node dist/src/main.js`): a restart while the receiver is down,
 * SIGTERM with an attempt in flight, and two instances sharing the work.
 */
describe('webhooks across restarts and instances (real processes)', () => {
  const receiver = new WebhookReceiver();
  const apis: ApiProcess[] = [];
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let env: Record<string, string>;
  const db = <R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    query<R>(database.url, sql, params);

  beforeEach(async () => {
    await receiver.start();
    receiver.requests.length = 0;
    receiver.respond = () => 200;
    database = await createDatabase('webhooks');
    env = {
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_BASE_SECONDS: '1',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
    };
  });
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.stop();
    await receiver.stop();
    await database.drop();
  });

  async function start(): Promise<ApiProcess> {
    const api = await startApiProcess({ env });
    apis.push(api);
    return api;
  }

  async function call(api: ApiProcess, method: string, path: string, token?: string, body?: unknown) {
    const res = await timedFetch(`${api.url}/api/v1${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body as Record<string, unknown>;
  }

  async function signUp(api: ApiProcess): Promise<string> {
    const username = `u_${randomBytes(5).toString('hex')}`;
    await call(api, 'POST', '/users', undefined, { username, email: `${username}@example.com`, password: 'correct horse battery' });
    return (await call(api, 'POST', '/auth/login', undefined, { login: username, password: 'correct horse battery' }))
      .accessToken as string;
  }

  /** Every recorded event, per stream, in the order it happened. */
  async function recorded(): Promise<Map<number, string[]>> {
    const rows = (await db(`SELECT id, stream_id FROM stream_events ORDER BY seq`)).rows as Array<{ id: string; stream_id: number }>;
    const byStream = new Map<number, string[]>();
    for (const row of rows) byStream.set(row.stream_id, [...(byStream.get(row.stream_id) ?? []), row.id]);
    return byStream;
  }

  /** What the receiver got, per stream, in arrival order, each event id once (2xx answers only). */
  function receivedOnce(): Map<number, string[]> {
    const byStream = new Map<number, string[]>();
    for (const request of receiver.requests) {
      const streamId = request.body.data.stream.id as number;
      byStream.set(streamId, [...(byStream.get(streamId) ?? []), request.body.id]);
    }
    return byStream;
  }

  it('a receiver that is down while the service restarts gets every event, in order, once it is back', async () => {
    const first = await start();
    const token = await signUp(first);
    await call(first, 'POST', '/webhooks', token, { url: receiver.url });
    await receiver.stop();
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push((await call(first, 'POST', '/streams', token, {})).id);
    await call(first, 'PATCH', `/streams/${String(streams[0])}`, token, { status: 'disabled' });
    await waitFor(
      async () =>
        (await db<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE last_error = 'connection refused'`)).rows[0].n >=
        3,
      10_000,
    );

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const second = await start();
    await call(second, 'POST', `/streams/${String(streams[1])}/key`, token);
    await call(second, 'DELETE', `/streams/${String(streams[2])}`, token);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await receiver.start();

    const expected = await recorded();
    expect([...expected.values()].flat()).toHaveLength(6); // 3 created, disabled, key_rotated, deleted
    await waitFor(() => Promise.resolve(receiver.requests.length >= 6), 30_000);
    expect(receivedOnce()).toEqual(expected);
    expect((await db(`SELECT DISTINCT status FROM webhook_deliveries`)).rows).toEqual([{ status: 'delivered' }]);
  }, 90_000);

  it('SIGTERM with an attempt in flight: it finishes and is recorded, and the process exits 0', async () => {
    env.SHUTDOWN_DRAIN_MS = '0';
    const api = await start();
    const token = await signUp(api);
    await call(api, 'POST', '/webhooks', token, { url: receiver.url });
    receiver.respond = () => ({ status: 200, delayMs: 2000 });
    await call(api, 'POST', '/streams', token, {});
    await waitFor(() => Promise.resolve(receiver.requests.length === 1), 5000);
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect((await db(`SELECT status, attempts, lease_token FROM webhook_deliveries`)).rows).toEqual([
      { status: 'delivered', attempts: 1, lease_token: null },
    ]);
  });

  it('two instances deliver each event once per attempt, and the events of each stream in order', async () => {
    const a = await start();
    const b = await start();
    const tokens = [await signUp(a), await signUp(b)];
    await call(a, 'POST', '/webhooks', tokens[0], { url: receiver.url });
    await call(b, 'POST', '/webhooks', tokens[1], { url: receiver.url });
    receiver.respond = () => ({ status: 200, delayMs: Math.floor(Math.random() * 20) });
    // Changes arrive through both instances, interleaved.
    const work = [0, 1, 2, 3, 4, 5].map(async (i) => {
      const api = i % 2 ? a : b;
      const token = tokens[i % 2];
      const id = (await call(api, 'POST', '/streams', token, {})).id as number;
      for (const status of ['disabled', 'active', 'disabled', 'active'])
        await call(i % 3 ? a : b, 'PATCH', `/streams/${id}`, token, { status });
      await call(api, 'POST', `/streams/${id}/key`, token);
    });
    await Promise.all(work);
    const expected = await recorded();
    const total = [...expected.values()].flat().length;
    expect(total).toBe(36);
    await waitFor(() => Promise.resolve(receiver.requests.length >= total), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a duplicate would arrive now
    expect(receiver.requests).toHaveLength(total);
    expect(receivedOnce()).toEqual(expected);

    const sent = async (api: ApiProcess) =>
      [
        ...(await timedFetch(`${api.url}/metrics`)).text.matchAll(/^streamly_webhook_deliveries_total\{[^}]*outcome="delivered"\} (\d+)/gm),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
    const [byA, byB] = [await sent(a), await sent(b)];
    expect(byA + byB).toBe(total);
    console.log(`two instances: ${byA} + ${byB} deliveries`);
  }, 90_000);
});
