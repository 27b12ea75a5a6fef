import { expect } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import { query } from './helpers/database.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { aUser as createUser, type BuiltUser as TestUser } from './helpers/builders.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import {
  bodyOf,
  type ErrorBody,
  type StreamBody,
  type WebhookBody,
  type WebhookListBody,
  type WebhookWithSecretBody,
} from './helpers/bodies.js';

const ALL_EVENTS = [
  'stream.created',
  'stream.live',
  'stream.idle',
  'stream.disabled',
  'stream.enabled',
  'stream.key_rotated',
  'stream.expired',
  'stream.deleted',
];
const WEBHOOK_KEYS = ['createdAt', 'enabled', 'events', 'id', 'url'];

/** The receiver's own check, node:crypto only (API.md's Webhooks section). */
function signedBy(rawBody: string, header: string | undefined, secret: string): boolean {
  const t = Number(/(?:^|,)t=(\d+)/.exec(header ?? '')?.[1]);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return [...(header ?? '').matchAll(/v1=([0-9a-f]{64})/g)].some((match) => match[1] === expected);
}

describe('webhook endpoints (routes, owner-scoped)', () => {
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1' } });
    owner = await createUser(t);
    other = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const register = (user: TestUser, body: Record<string, unknown>) => t.http().post('/api/v1/webhooks').set(user.auth).send(body);

  it('registers with a secret shown once; lists, reads, updates and deletes; all events when none are named', async () => {
    const created = bodyOf<WebhookWithSecretBody>(await register(owner, { url: receiver.url }).expect(201));
    expect(Object.keys(created).sort()).toEqual([...WEBHOOK_KEYS, 'secret'].sort());
    expect(created).toMatchObject({ url: receiver.url, events: ALL_EVENTS, enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const id = created.id;

    const read = bodyOf<WebhookBody>(await t.http().get(`/api/v1/webhooks/${id}`).set(owner.auth).expect(200));
    expect(Object.keys(read).sort()).toEqual(WEBHOOK_KEYS);
    const list = bodyOf<WebhookListBody>(await t.http().get('/api/v1/webhooks').set(owner.auth).expect(200));
    expect(list.items.map((w: { id: number }) => w.id)).toContain(id);
    expect(JSON.stringify(list)).not.toContain(created.secret);

    const patched = await t
      .http()
      .patch(`/api/v1/webhooks/${id}`)
      .set(owner.auth)
      .send({ events: ['stream.deleted'], enabled: false })
      .expect(200);
    expect(bodyOf<WebhookBody>(patched)).toMatchObject({ id, events: ['stream.deleted'], enabled: false, url: receiver.url });
    // Stored sealed, never as shown.
    const [row] = (await query(t.config.databaseUrl, `SELECT secret FROM webhooks WHERE id = $1`, [id])).rows;
    expect(row.secret).not.toContain(created.secret.slice(6));

    await t.http().delete(`/api/v1/webhooks/${id}`).set(owner.auth).expect(204);
    await t.http().get(`/api/v1/webhooks/${id}`).set(owner.auth).expect(404);
  });

  it("another user's endpoint is a 404 on every route, and never listed", async () => {
    const body = bodyOf<WebhookWithSecretBody>(await register(owner, { url: receiver.url }).expect(201));
    const base = `/api/v1/webhooks/${body.id}`;
    await t.http().get(base).set(other.auth).expect(404);
    await t.http().patch(base).set(other.auth).send({ enabled: false }).expect(404);
    await t.http().post(`${base}/secret`).set(other.auth).expect(404);
    await t.http().get(`${base}/deliveries`).set(other.auth).expect(404);
    await t.http().post(`${base}/deliveries/1/retry`).set(other.auth).expect(404);
    await t.http().delete(base).set(other.auth).expect(404);
    expect(bodyOf<WebhookListBody>(await t.http().get('/api/v1/webhooks').set(other.auth).expect(200)).items).toEqual([]);
    for (const bad of ['0', 'abc', '99999999999', '1.5']) await t.http().get(`/api/v1/webhooks/${bad}`).set(owner.auth).expect(404);
    await t.http().get('/api/v1/webhooks').expect(401);
    await t.http().delete(base).set(owner.auth).expect(204);
  });

  it('at most 10 per user, also when registered concurrently: then 403 {reason: "webhook_limit"}', async () => {
    const user = await createUser(t);
    const answers = await Promise.all(Array.from({ length: 14 }, () => register(user, { url: receiver.url })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    const refused = answers.filter((a) => a.status === 403);
    expect(refused).toHaveLength(4);
    expect(bodyOf<ErrorBody>(refused[0])).toEqual({
      statusCode: 403,
      message: expect.any(String),
      error: 'Forbidden',
      reason: 'webhook_limit',
    });
    // Another user is not affected.
    const fresh = await createUser(t);
    await register(fresh, { url: receiver.url }).expect(201);
  });

  it('bad input is a 400: URL, scheme, credentials, unknown or repeated events, unknown fields', async () => {
    for (const body of [
      {},
      { url: 'not a url' },
      { url: 'ftp://example.com/x' },
      { url: 'https://user:pw@example.com/x' },
      { url: `https://example.com/${'x'.repeat(2100)}` },
      { url: receiver.url, events: [] },
      { url: receiver.url, events: ['stream.exploded'] },
      { url: receiver.url, events: ['stream.live', 'stream.live'] },
      { url: receiver.url, events: 'stream.live' },
      { url: receiver.url, secret: 'mine' },
    ]) {
      const res = await register(owner, body);
      expect([res.status, body]).toEqual([400, body]);
    }
  });

  it('rotating the secret: the new one is shown once, and for 24 h deliveries carry both signatures', async () => {
    const created = bodyOf<WebhookWithSecretBody>(await register(owner, { url: receiver.url, events: ['stream.created'] }).expect(201));
    const rotated = bodyOf<WebhookWithSecretBody>(await t.http().post(`/api/v1/webhooks/${created.id}/secret`).set(owner.auth).expect(200));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const stream = bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(owner.auth).send({}).expect(201));
    await waitFor(() => Promise.resolve(receiver.forStream(stream.id).length > 0), 10_000);
    const [request] = receiver.forStream(stream.id);
    const header = request.headers['streamly-signature'] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(signedBy(request.rawBody, header, rotated.secret)).toBe(true);
    expect(signedBy(request.rawBody, header, created.secret)).toBe(true);
    expect(signedBy(request.rawBody, header, 'whsec_someone-else')).toBe(false);
    // Once the old secret's 24 h are over, only the new one signs.
    await query(t.config.databaseUrl, `UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [
      created.id,
    ]);
    const next = bodyOf<StreamBody>(await t.http().post('/api/v1/streams').set(owner.auth).send({}).expect(201));
    await waitFor(() => Promise.resolve(receiver.forStream(next.id).length > 0), 10_000);
    const later = receiver.forStream(next.id)[0];
    expect((later.headers['streamly-signature'] as string).match(/v1=/g)).toHaveLength(1);
    expect(signedBy(later.rawBody, later.headers['streamly-signature'] as string, rotated.secret)).toBe(true);
    expect(signedBy(later.rawBody, later.headers['streamly-signature'] as string, created.secret)).toBe(false);
  });
});

describe('webhook endpoints: refused addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS unset)', () => {
  let t: TestApp;
  let owner: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/latest/meta-data',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.5/',
    'http://192.168.0.10/',
    'http://172.20.1.1/',
    'http://100.100.100.200/',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://224.0.0.1/',
  ])('%s is refused at registration (400)', async (url) => {
    const res = await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url });
    expect(res.status).toBe(400);
    expect(JSON.stringify(bodyOf<ErrorBody>(res).message)).toMatch(/refused/);
  });

  it('a name that resolves to loopback is refused after DNS; a public address is accepted, and PATCH checks too', async () => {
    // This machine's own name resolves to a loopback address (/etc/hosts).
    await t
      .http()
      .post('/api/v1/webhooks')
      .set(owner.auth)
      .send({ url: `http://${hostname()}:9/hook` })
      .expect(400);
    const ok = bodyOf<WebhookWithSecretBody>(
      await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: 'https://93.184.216.34/hook' }).expect(201),
    );
    await t.http().patch(`/api/v1/webhooks/${ok.id}`).set(owner.auth).send({ url: 'http://127.0.0.1/' }).expect(400);
  });
});
