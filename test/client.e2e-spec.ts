import { readFileSync } from 'node:fs';
import { createStreamlyClient } from '../clients/typescript/index.js';
import { startApiProcess } from './helpers/api-process.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { aSession, aStream, aUser, PASSWORD, uniqueName } from './helpers/builders.js';

/**
 * The frontend's typed client (clients/typescript, generated from the OpenAPI document)
 * against the real server over real HTTP: what a browser app built on it would do.
 */
describe('typed client (clients/typescript)', () => {
  let t: TestApp;
  let server: string;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    server = baseUrl(t.app);
  });
  afterAll(() => t.close());

  it('was generated from the document the API serves (npm run client:generate)', async () => {
    // The API as a process of its own: under jest, Terminus cannot require() the ESM-only
    // @nestjs/swagger, so an in-process app documents the health routes less fully.
    const api = await startApiProcess({
      env: { DATABASE_URL: t.config.databaseUrl, DB_PGBOUNCER: String(t.config.dbPgBouncer), MIGRATIONS_RUN: 'false' },
    });
    try {
      const served: unknown = await (await fetch(`${api.url}/docs-json`)).json();
      expect(served).toEqual(JSON.parse(readFileSync('clients/openapi.json', 'utf8')));
    } finally {
      await api.stop();
    }
  });

  it('signs up, logs in, creates a stream and rotates its key', async () => {
    const api = createStreamlyClient(server);
    const username = uniqueName();
    const email = `${username}@example.com`;

    const signUp = await api.POST('/api/v1/users', { body: { username, email, password: PASSWORD } });
    expect(signUp.response.status).toBe(201);
    expect(signUp.data).toMatchObject({ username, email, firstName: null, lastName: null });

    const login = await api.POST('/api/v1/auth/login', { body: { login: username, password: PASSWORD } });
    expect(login.response.status).toBe(200);
    const accessToken = login.data!.accessToken;
    const mine = createStreamlyClient(server, { accessToken: () => accessToken });

    const created = await mine.POST('/api/v1/streams', { body: { expiresInSeconds: 3600 } });
    expect(created.response.status).toBe(201);
    const stream = created.data!;
    expect(stream).toMatchObject({ userId: signUp.data!.id, status: 'active' });

    const rotated = await mine.POST('/api/v1/streams/{id}/key', { params: { path: { id: stream.id } } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data).toMatchObject({ id: stream.id, status: 'active' });
    expect(rotated.data!.streamKey).not.toBe(stream.streamKey);

    // The ingest lookup (as a custom ingest server calls it) knows only the new key.
    const ingest = createStreamlyClient(server, { accessToken: t.config.ingestSecret });
    const lookup = (streamKey: string) => ingest.GET('/api/v1/ingest/keys/{streamKey}', { params: { path: { streamKey } } });
    expect((await lookup(rotated.data!.streamKey)).response.status).toBe(200);
    expect((await lookup(stream.streamKey)).response.status).toBe(404);
  });

  it("returns the server's refusals as `error`, in Nest's shape", async () => {
    const user = await aUser(t);
    const api = createStreamlyClient(server);

    const wrong = await api.POST('/api/v1/auth/login', { body: { login: user.username, password: 'not the password' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.data).toBeUndefined();
    expect(wrong.error).toEqual({ statusCode: 401, message: 'invalid login or password', error: 'Unauthorized' });

    const anonymous = await api.GET('/api/v1/streams');
    expect(anonymous.response.status).toBe(401);
  });

  it('refreshes a session made by the builders; the used refresh token then stops working', async () => {
    const session = await aSession(t, await aUser(t));
    const api = createStreamlyClient(server);

    const refreshed = await api.POST('/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.data!.refreshToken).not.toBe(session.refreshToken);
    const me = await createStreamlyClient(server, { accessToken: refreshed.data!.accessToken }).GET('/api/v1/users/me');
    expect(me.response.status).toBe(200);

    const again = await api.POST('/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(again.response.status).toBe(401);
  });

  it("lists the caller's streams made by the builders, and nobody else's", async () => {
    const owner = await aUser(t);
    const other = await aUser(t);
    const active = await aStream(t, owner);
    const disabled = await aStream(t, owner, { status: 'disabled' });
    const expired = await aStream(t, owner, { status: 'expired' });
    await aStream(t, other);

    const mine = createStreamlyClient(server, { accessToken: owner.token });
    const page = await mine.GET('/api/v1/streams', { params: { query: { limit: 10 } } });
    expect(page.response.status).toBe(200);
    expect(page.data!.items.map((stream) => [stream.id, stream.status]).sort()).toEqual(
      [
        [active.id, 'active'],
        [disabled.id, 'disabled'],
        [expired.id, 'expired'],
      ].sort(),
    );
  });
});
