import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bearer, login, signUp } from './helpers/accounts.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { createDatabase } from './helpers/database.js';
import { describeWithTools, findTool } from './helpers/tools.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';

const run = promisify(execFile);

/** The README's plain-SQL backup: `pg_dump` of the database in use, restored with `psql` into a new one. */
describeWithTools('pg_dump | psql round trip of a database in use', ['pg_dump', 'psql'], () => {
  let original: TestApp;
  let copy: TestApp | undefined;
  let restored: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let dir: string;

  beforeAll(async () => {
    original = await startTestApp();
    dir = await mkdtemp(join(tmpdir(), 'streamly-dump-'));
  });
  afterAll(async () => {
    await copy?.close();
    await restored?.drop();
    await original?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the service runs on the copy with the same users, streams and sessions', async () => {
    const user = await signUp(original);
    const session = await login(original, user.username);
    // No reconnect window: active as soon as the publish is done.
    const stream = bodyOf<StreamBody>(
      await original.http().post('/api/v1/streams').set(bearer(session.accessToken)).send({ reconnectWindowSeconds: 0 }).expect(201),
    );
    const hook = (t: TestApp, path: string) =>
      t
        .http()
        .post(`/api/v1/ingest/nginx/${path}?secret=${encodeURIComponent(t.config.ingestSecret)}`)
        .type('form')
        .send(`call=publish&app=live&name=${stream.streamKey}&clientid=42&addr=10.1.2.3`);
    await hook(original, 'on_publish').expect(200);

    // Backup while the service keeps serving.
    const dump = join(dir, 'streamly.sql');
    const serving = Promise.all(Array.from({ length: 20 }, () => original.http().get('/api/v1/users/me').set(bearer(session.accessToken))));
    await run(findTool('pg_dump')!, ['--no-owner', '-f', dump, original.config.databaseUrl]);
    for (const res of await serving) expect(res.status).toBe(200);

    restored = await createDatabase('restored');
    await run(findTool('psql')!, ['-v', 'ON_ERROR_STOP=1', '-q', '-d', restored.url, '-f', dump]);
    copy = await startTestApp({
      env: { DATABASE_URL: restored.url, JWT_SECRET: original.config.jwtSecret, INGEST_SECRET: original.config.ingestSecret },
    });

    // Same account and password; the access and refresh tokens issued before the backup work on the copy.
    expect((await copy.http().get('/api/v1/users/me').set(bearer(session.accessToken)).expect(200)).body).toMatchObject({ id: user.id });
    expect((await login(copy, user.username)).user.id).toBe(user.id);
    await copy.http().post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
    // Same stream, still live; its publish session goes on (on_update by the same client id).
    expect((await copy.http().get(`/api/v1/streams/${stream.id}`).set(bearer(session.accessToken)).expect(200)).body).toMatchObject({
      id: stream.id,
      streamKey: stream.streamKey,
      status: 'live',
    });
    await hook(copy, 'on_update').expect(200);
    await hook(copy, 'on_publish_done').expect(200);
    expect(
      bodyOf<StreamBody>(await copy.http().get(`/api/v1/streams/${stream.id}`).set(bearer(session.accessToken)).expect(200)).status,
    ).toBe('active');
    // New rows on the copy continue the SERIAL sequences.
    const next = bodyOf<StreamBody>(await copy.http().post('/api/v1/streams').set(bearer(session.accessToken)).send({}).expect(201));
    expect(next.id).toBeGreaterThan(stream.id);
  }, 60_000);
});
