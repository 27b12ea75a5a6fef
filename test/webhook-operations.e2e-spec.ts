import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { query } from './helpers/database.js';
import { waitFor } from './helpers/http.js';
import { aUser as createUser, type BuiltUser as TestUser } from './helpers/builders.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { bodyOf, type DeliveryPageBody, type StreamBody, type WebhookListBody, type WebhookWithSecretBody } from './helpers/bodies.js';

const DELIVERY_KEYS = [
  'attempts',
  'createdAt',
  'deliveredAt',
  'eventId',
  'eventType',
  'id',
  'lastError',
  'lastStatusCode',
  'nextAttemptAt',
  'status',
];

/** The delivery log, manual retries, event filters, metrics and pruning (the operator endpoint on, retry window 0). */
describe('webhook operations', () => {
  let t: TestApp;
  let owner: TestUser;
  let hookId: number;
  const receiver = new WebhookReceiver();
  const operator = new WebhookReceiver();
  const operatorSecret = randomBytes(32).toString('base64url');
  const db = (sql: string, params: unknown[] = []) => query(t.config.databaseUrl, sql, params);
  const newStream = async (user = owner) =>
    bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(user.auth).send({}).expect(201)).id;
  const log = (id = hookId, params = '') => t.http().get(`/api/v1/webhooks/${id}/deliveries${params}`).set(owner.auth);
  const logItems = async () => bodyOf<DeliveryPageBody>(await log().expect(200)).items;

  beforeAll(async () => {
    await receiver.start();
    await operator.start();
    t = await startTestApp({
      env: {
        WEBHOOK_URL: operator.url,
        WEBHOOK_SECRET: operatorSecret,
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_RETRY_HOURS: '0',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    owner = await createUser(t);
    hookId = bodyOf<WebhookWithSecretBody>(
      await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: receiver.url }).expect(201),
    ).id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    await operator.stop();
  });

  it('the delivery log: the Delivery shape, newest first, paged with an opaque cursor; bad paging is a 400', async () => {
    for (let i = 0; i < 5; i++) await newStream();
    await waitFor(async () => (await logItems()).length === 5, 10_000);
    const all = bodyOf<DeliveryPageBody>(await log().expect(200));
    expect(Object.keys(all.items[0]).sort()).toEqual(DELIVERY_KEYS);
    expect(all.nextCursor).toBeNull();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: number }>; nextCursor: string | null } = bodyOf<DeliveryPageBody>(
        await log(hookId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200),
      );
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((item: { id: number }) => item.id));
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    for (const bad of [
      '?limit=0',
      '?limit=101',
      '?limit=x',
      '?cursor=nope',
      `?cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      '?other=1',
    ]) {
      expect([bad, (await log(hookId, bad)).status]).toEqual([bad, 400]);
    }
  });

  it('a redirect is not followed; with no retry window left the delivery fails; a manual retry sends it again now', async () => {
    receiver.respond = () => 302;
    const streamId = await newStream();
    await waitFor(async () => (await logItems())[0].status === 'failed', 10_000);
    const [failed] = await logItems();
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 302,
      lastError: 'redirect not followed (HTTP 302)',
      nextAttemptAt: null,
    });
    expect(receiver.forStream(streamId)).toHaveLength(1);

    receiver.respond = () => 204;
    await t.http().post(`/api/v1/webhooks/${hookId}/deliveries/${failed.id}/retry`).set(owner.auth).expect(202);
    await waitFor(async () => (await logItems())[0].status === 'delivered', 5000);
    expect((await logItems())[0]).toMatchObject({ id: failed.id, attempts: 2, lastStatusCode: 204, lastError: null });
    expect(receiver.forStream(streamId).map((r) => r.body.id)).toEqual([failed.eventId, failed.eventId]);

    await t.http().post(`/api/v1/webhooks/${hookId}/deliveries/999999/retry`).set(owner.auth).expect(404);
    await t.http().post(`/api/v1/webhooks/${hookId}/deliveries/abc/retry`).set(owner.auth).expect(404);
    receiver.respond = () => 200;
  });

  it('an endpoint only gets the event types it asked for; a disabled one gets nothing', async () => {
    await t
      .http()
      .patch(`/api/v1/webhooks/${hookId}`)
      .set(owner.auth)
      .send({ events: ['stream.deleted'] })
      .expect(200);
    const streamId = await newStream();
    await t.http().delete(`/api/v1/streams/${streamId}`).set(owner.auth).expect(204);
    await waitFor(() => Promise.resolve(receiver.forStream(streamId).length === 1), 5000);
    expect(receiver.forStream(streamId)[0].body.type).toBe('stream.deleted');

    await t
      .http()
      .patch(`/api/v1/webhooks/${hookId}`)
      .set(owner.auth)
      .send({ enabled: false, events: ['stream.created'] })
      .expect(200);
    const quiet = await newStream();
    await waitFor(() => Promise.resolve(operator.forStream(quiet).length === 1), 5000);
    expect(receiver.forStream(quiet)).toHaveLength(0);
    await t
      .http()
      .patch(`/api/v1/webhooks/${hookId}`)
      .set(owner.auth)
      .send({ enabled: true, events: [...new Set(['stream.created', 'stream.deleted'])] })
      .expect(200);
  });

  it('/metrics counts attempts by event type and outcome and shows the oldest pending delivery', async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/streamly_webhook_deliveries_total\{event_type="stream.created",outcome="delivered"\} [1-9]/);
    expect(text).toMatch(/streamly_webhook_deliveries_total\{event_type="stream.created",outcome="failed"\} [1-9]/);
    expect(text).toMatch(/^streamly_webhook_oldest_pending_delivery_seconds \d/m);
    expect(text).toMatch(/^streamly_webhook_outbox_lag_seconds \d/m);

    // A delivery waiting (backing off) for 90 s: the gauge, refreshed every few seconds, shows its age.
    await db(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() + interval '1 hour', created_at = now() - interval '90 seconds'
       WHERE id = (SELECT max(id) FROM webhook_deliveries)`,
    );
    await waitFor(async () => {
      const age = /^streamly_webhook_oldest_pending_delivery_seconds (\S+)$/m.exec((await t.http().get('/metrics')).text)?.[1];
      return Number(age) >= 90 && Number(age) < 120;
    }, 10_000);
    expect((await t.http().get('/metrics')).text).toMatch(/^streamly_webhook_pending_deliveries 1$/m);
  });

  it('the housekeeping sweep prunes delivered rows older than 30 days, and only those', async () => {
    const ids = (await db(`SELECT id FROM webhook_deliveries WHERE status = 'delivered' ORDER BY id LIMIT 2`)).rows.map((r) => r.id);
    await db(`UPDATE webhook_deliveries SET delivered_at = now() - interval '31 days' WHERE id = $1`, [ids[0]]);
    await db(`UPDATE webhook_deliveries SET delivered_at = now() - interval '29 days' WHERE id = $1`, [ids[1]]);
    await db(
      `UPDATE webhook_deliveries SET status = 'failed', delivered_at = NULL, created_at = now() - interval '40 days' WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending')`,
    );
    await t.app.get(Sweeper).runOnce();
    const left = (await db(`SELECT id FROM webhook_deliveries WHERE id = ANY($1)`, [ids])).rows.map((r) => r.id);
    expect(left).toEqual([ids[1]]);
  });
});

describe('webhook address policy at send time (WEBHOOK_ALLOW_PRIVATE_NETWORKS unset)', () => {
  let t: TestApp;
  let owner: TestUser;
  const receiver = new WebhookReceiver();
  const operator = new WebhookReceiver();
  const db = (sql: string, params: unknown[] = []) => query(t.config.databaseUrl, sql, params);
  const newStream = async (user = owner) =>
    bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(user.auth).send({}).expect(201)).id;

  beforeAll(async () => {
    await receiver.start();
    await operator.start();
    t = await startTestApp({
      env: { WEBHOOK_URL: operator.url, WEBHOOK_SECRET: randomBytes(32).toString('base64url'), WEBHOOK_RETRY_HOURS: '0' },
    });
    owner = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    await operator.stop();
  });

  it('the address policy applies again at send time, after DNS: a loopback endpoint gets nothing; the operator endpoint is configuration and gets every event', async () => {
    // Registered before the policy applied, or resolving elsewhere then: the rows say loopback.
    const hookId = (
      await db(`INSERT INTO webhooks (user_id, url, secret) SELECT $1, $2, secret FROM webhooks WHERE user_id IS NULL RETURNING id`, [
        owner.id,
        receiver.url,
      ])
    ).rows[0].id as number;
    const other = await createUser(t);
    const viaName = (
      await db(`INSERT INTO webhooks (user_id, url, secret) SELECT $1, $2, secret FROM webhooks WHERE user_id IS NULL RETURNING id`, [
        other.id,
        receiver.url.replace('127.0.0.1', hostname()),
      ])
    ).rows[0].id as number;
    const mine = await newStream();
    const theirs = await newStream(other);
    await waitFor(
      async () =>
        (
          await db(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = ANY($1) AND status = 'failed'`, [
            [hookId, viaName],
          ])
        ).rows[0].n === 2,
      10_000,
    );
    const errors = (await db(`SELECT last_error FROM webhook_deliveries WHERE webhook_id = ANY($1)`, [[hookId, viaName]])).rows.map(
      (r) => r.last_error,
    );
    expect(errors).toEqual(['refused address (loopback)', 'refused address (loopback)']);
    expect(receiver.requests).toHaveLength(0);
    // The operator endpoint hears of both users' streams, signed with WEBHOOK_SECRET.
    await waitFor(() => Promise.resolve(operator.forStream(mine).length === 1 && operator.forStream(theirs).length === 1), 10_000);
    expect(operator.forStream(theirs)[0].headers['streamly-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // The operator's row is nobody's: not listed, not reachable by id.
    expect(
      bodyOf<WebhookListBody>(await t.http().get('/api/v1/webhooks').set(owner.auth).expect(200)).items.map((w: { id: number }) => w.id),
    ).toEqual([hookId]);
  });
});
