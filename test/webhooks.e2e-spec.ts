import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { createUser, type TestUser } from './helpers/users.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

describe('webhooks: smoke', () => {
  let t: TestApp;
  let owner: TestUser;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1' } });
    owner = await createUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('delivers stream.created', async () => {
    const hook = await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: receiver.url });
    expect(hook.status).toBe(201);
    console.log(hook.body);
    const stream = await t.http().post('/api/v1/streams').set(owner.auth).send({}).expect(201);
    await t.http().patch(`/api/v1/streams/${stream.body.id}`).set(owner.auth).send({ status: 'disabled' }).expect(200);
    await waitFor(async () => receiver.requests.length >= 2, 5000);
    console.log(receiver.requests.map((r) => [r.headers, r.rawBody]));
    const log = await t.http().get(`/api/v1/webhooks/${hook.body.id}/deliveries`).set(owner.auth).expect(200);
    console.log(JSON.stringify(log.body, null, 1));
  });
});
