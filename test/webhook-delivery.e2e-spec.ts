import { startTestApp, type TestApp } from './helpers/app.js';
import { createDatabase, query } from './helpers/database.js';
import { waitFor } from './helpers/http.js';
import { aUser as createUser, type BuiltUser as TestUser } from './helpers/builders.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { bodyOf, type DeliveryPageBody, type StreamBody, type WebhookWithSecretBody } from './helpers/bodies.js';

/** Delivery behaviour against receivers on loopback that fail, stall or answer slowly. */
describe('webhook delivery: retries, order, isolation, shutdown', () => {
  let t: TestApp;
  const receiver = new WebhookReceiver();
  const db = <R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    query<R>(t.config.databaseUrl, sql, params);
  const deliveriesOf = async (user: TestUser, hookId: number) =>
    bodyOf<DeliveryPageBody>(await t.http().get(`/api/v1/webhooks/${hookId}/deliveries?limit=100`).set(user.auth).expect(200)).items;
  const hook = async (user: TestUser, url = receiver.url) =>
    bodyOf<WebhookWithSecretBody>(await t.http().post('/api/v1/webhooks').set(user.auth).send({ url }).expect(201)).id;
  const newStream = async (user: TestUser) =>
    bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(user.auth).send({}).expect(201)).id;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1' } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });
  afterEach(() => {
    receiver.respond = () => 200;
  });

  it('a receiver answering 500 twice gets the same event id (and body) a third time; the log shows each attempt', async () => {
    const user = await createUser(t);
    const hookId = await hook(user);
    let failures = 0;
    receiver.respond = (request) => (request.body.data.stream.userId === user.id && failures++ < 2 ? 500 : 200);
    const streamId = await newStream(user);

    await waitFor(() => Promise.resolve(receiver.forStream(streamId).length >= 2), 10_000);
    const [pending] = await deliveriesOf(user, hookId);
    expect(pending).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null });
    expect(new Date(pending.nextAttemptAt as string).getTime()).toBeGreaterThan(Date.now() - 1000);

    await waitFor(() => Promise.resolve(receiver.forStream(streamId).length === 3), 15_000);
    const attempts = receiver.forStream(streamId);
    expect(new Set(attempts.map((a) => a.body.id)).size).toBe(1);
    expect(new Set(attempts.map((a) => a.headers['streamly-event-id'])).size).toBe(1);
    expect(new Set(attempts.map((a) => a.rawBody)).size).toBe(1);
    // Backoff: ~1 s, then ~2 s (±25 %), never at once.
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(700);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(1400);
    await waitFor(async () => (await deliveriesOf(user, hookId))[0].status === 'delivered', 5000);
    expect((await deliveriesOf(user, hookId))[0]).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    });
  });

  it('events of one stream reach an endpoint in order: a later event waits while an earlier one is retried', async () => {
    const user = await createUser(t);
    await hook(user);
    let failed = false;
    receiver.respond = (request) => {
      if (request.body.type === 'stream.created' && request.body.data.stream.userId === user.id && !failed) {
        failed = true;
        return 500;
      }
      return 200;
    };
    const streamId = await newStream(user);
    for (const status of ['disabled', 'active', 'disabled', 'active']) {
      await t.http().patch(`/api/v1/streams/${streamId}`).set(user.auth).send({ status }).expect(200);
    }
    await t.http().post(`/api/v1/streams/${streamId}/key`).set(user.auth).expect(200);
    await waitFor(() => Promise.resolve(receiver.forStream(streamId).length === 7), 15_000);
    expect(receiver.forStream(streamId).map((r) => r.body.type)).toEqual([
      'stream.created',
      'stream.created',
      'stream.disabled',
      'stream.enabled',
      'stream.disabled',
      'stream.enabled',
      'stream.key_rotated',
    ]);
  });

  it('two instances, a flaky receiver, bursts on each stream: every event delivered, and no attempt of an event before the previous one of its stream succeeded', async () => {
    const second = await startTestApp({
      sameDatabaseAs: t,
      env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1', JWT_SECRET: t.config.jwtSecret },
    });
    try {
      const user = await createUser(t);
      await hook(user);
      let n = 0;
      receiver.respond = (request) =>
        request.body.data.stream.userId === user.id && n++ % 4 === 1 ? 500 : { status: 200, delayMs: n % 3 };
      const streams = await Promise.all(Array.from({ length: 8 }, () => newStream(user)));
      await Promise.all(
        streams.map(async (id, i) => {
          const app = i % 2 ? second : t;
          for (const status of ['disabled', 'active', 'disabled', 'active', 'disabled', 'active']) {
            await app.http().patch(`/api/v1/streams/${id}`).set(user.auth).send({ status }).expect(200);
          }
        }),
      );
      const expected = new Map<number, string[]>();
      for (const row of (
        await db<{ id: string; stream_id: number }>(`SELECT id, stream_id FROM stream_events WHERE stream_id = ANY($1) ORDER BY seq`, [
          streams,
        ])
      ).rows) {
        expected.set(row.stream_id, [...(expected.get(row.stream_id) ?? []), row.id]);
      }
      const delivered = () => new Set(streams.flatMap((id) => receiver.forStream(id).map((r) => r.body.id))).size;
      await waitFor(
        async () =>
          delivered() === 8 * 7 && (await db(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`)).rows[0].n === 0,
        40_000,
      );
      for (const id of streams) {
        // Attempts in arrival order, with repeats collapsed: exactly the recorded order.
        const attempts = receiver.forStream(id).map((r) => r.body.id);
        expect(attempts.filter((eventId, i) => eventId !== attempts[i - 1])).toEqual(expected.get(id));
      }
    } finally {
      await second.close();
    }
  }, 60_000);

  it("a slow endpoint and a dead one delay nobody else's deliveries", async () => {
    const slowUser = await createUser(t);
    const deadUser = await createUser(t);
    const fastUser = await createUser(t);
    await hook(slowUser);
    await hook(deadUser, 'http://127.0.0.1:9/dead'); // discard port: connection refused
    const fastHook = await hook(fastUser);
    // The slow endpoint's requests hang for longer than the 5 s timeout.
    receiver.respond = (request) => (request.body.data.stream.userId === slowUser.id ? { status: 200, delayMs: 8000 } : 200);
    await Promise.all(Array.from({ length: 40 }, () => newStream(slowUser)));
    await Promise.all(Array.from({ length: 40 }, () => newStream(deadUser)));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the slow endpoint now holds its slots

    const started = Date.now();
    const streamId = await newStream(fastUser);
    await waitFor(() => Promise.resolve(receiver.forStream(streamId).length === 1), 5000);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await deliveriesOf(fastUser, fastHook))[0]).toMatchObject({ status: 'delivered', attempts: 1 });

    // Meanwhile the slow endpoint's attempts time out and are retried, and the dead one's back off.
    await waitFor(
      async () =>
        (await db<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE last_error = 'timed out after 5 s'`)).rows[0].n >
        0,
      15_000,
    );
    const dead = (
      await db(
        `SELECT DISTINCT last_error FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.user_id = $1 AND attempts > 0`,
        [deadUser.id],
      )
    ).rows;
    expect(dead).toEqual([{ last_error: 'connection refused' }]);
    // Clean up: the slow and dead endpoints stop holding slots for the tests that follow.
    await db(`DELETE FROM webhooks WHERE user_id = ANY($1)`, [[slowUser.id, deadUser.id]]);
  }, 40_000);

  it('shutdown: an attempt in flight finishes and is recorded before the app closes', async () => {
    receiver.requests.length = 0; // ids restart in a database of its own
    const database = await createDatabase('shutdown');
    const alone = await startTestApp({ env: { DATABASE_URL: database.url, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    let closed: Promise<void> | undefined;
    try {
      const user = await createUser(alone);
      const hookId = bodyOf<WebhookWithSecretBody>(
        await alone.http().post('/api/v1/webhooks').set(user.auth).send({ url: receiver.url }).expect(201),
      ).id;
      receiver.respond = (request) => (request.body.data.stream.userId === user.id ? { status: 200, delayMs: 1500 } : 200);
      const streamId = bodyOf<StreamBody>(await alone.http().post('/api/v1/streams').set(user.auth).send({}).expect(201)).id;
      await waitFor(() => Promise.resolve(receiver.forStream(streamId).length === 1), 5000);
      const closing = Date.now();
      closed = alone.app.close(); // what SIGTERM does after the drain delay
      await closed;
      expect(Date.now() - closing).toBeGreaterThan(500); // it waited for the attempt
      const [delivery] = (
        await query(database.url, `SELECT status, attempts, lease_token FROM webhook_deliveries WHERE webhook_id = $1`, [hookId])
      ).rows;
      expect(delivery).toEqual({ status: 'delivered', attempts: 1, lease_token: null });
      expect(receiver.forStream(streamId)).toHaveLength(1);
    } finally {
      await (closed ?? alone.app.close());
      await database.drop();
    }
  });
});
