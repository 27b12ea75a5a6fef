import { startTestApp, type TestApp } from './helpers/app.js';
import { bearer, login, signUp } from './helpers/accounts.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';

/**
 * Responses that carry tokens, stream keys or secrets, and every response to a request
 * with credentials, say `Cache-Control: no-store`, so no browser or proxy keeps them.
 * Through the real app (Fastify, guards, PostgreSQL), success and error answers alike.
 */
describe('Cache-Control: no-store', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const noStore = (res: { status: number; headers: Record<string, string> }, what: string) =>
    expect({ what, status: res.status, cacheControl: res.headers['cache-control'] }).toEqual({
      what,
      status: res.status,
      cacheControl: 'no-store',
    });

  it('on every account, session, stream and ingest answer, successes and errors', async () => {
    const user = await signUp(t);
    const session = await login(t, user.username);
    const auth = bearer(session.accessToken);
    const http = () => t.http();

    noStore(await http().post('/api/v1/auth/login').send({ login: user.username, password: user.password }), 'login (tokens)');
    noStore(await http().post('/api/v1/auth/login').send({ login: user.username, password: 'wrong password' }), 'failed login');
    const refreshed = await http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken });
    noStore(refreshed, 'refresh (tokens)');
    noStore(
      await http()
        .post('/api/v1/users')
        .send({ username: `${user.username}x`, email: `x${user.email}`, password: user.password }),
      'sign-up',
    );
    noStore(await http().get('/api/v1/users/me').set(auth), 'me');
    noStore(await http().get('/api/v1/users/me').set(bearer('not-a-token')), 'me with a bad token');
    noStore(await http().get(`/api/v1/users/${user.username}`).set(auth), 'public profile, authenticated');

    const created = await http().post('/api/v1/streams').set(auth).send({});
    expect(created.status).toBe(201);
    noStore(created, 'new stream (stream key)');
    noStore(await http().get('/api/v1/streams').set(auth), 'stream list (stream keys)');
    noStore(
      await http()
        .get(`/api/v1/streams/${bodyOf<StreamBody>(created).id}`)
        .set(auth),
      'one stream',
    );
    const rotated = await http()
      .post(`/api/v1/streams/${bodyOf<StreamBody>(created).id}/key`)
      .set(auth);
    noStore(rotated, 'rotated key');
    noStore(await http().get('/api/v1/streams/999999').set(auth), 'unknown stream (404)');

    const ingest = bearer(t.config.ingestSecret);
    noStore(
      await http()
        .get(`/api/v1/ingest/keys/${bodyOf<StreamBody>(rotated).streamKey}`)
        .set(ingest),
      'key lookup',
    );
    noStore(await http().get('/api/v1/ingest/keys/nope').set(ingest), 'key lookup 404');
    noStore(await http().get('/api/v1/ingest/keys/nope'), 'key lookup 401');
    const hook = `/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(t.config.ingestSecret)}`;
    noStore(
      await http()
        .post(hook)
        .type('form')
        .send(`name=${bodyOf<StreamBody>(rotated).streamKey}&clientid=1`),
      'nginx hook',
    );
    noStore(await http().post('/api/v1/no/such/route').set(auth), 'unmatched route with credentials');
  });

  it('a handler cannot opt out: even the docs, public and cacheable, get no-store when credentials come along', async () => {
    const asset = await t.http().get('/docs/swagger-ui.css');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=86400');
    const withCredentials = await t.http().get('/docs/swagger-ui.css').set(bearer('anything'));
    expect(withCredentials.headers['cache-control']).toBe('no-store');
  });
});
