import { randomBytes } from 'node:crypto';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase, query } from './helpers/database.js';
import { timedFetch } from './helpers/http.js';

/**
 * Captures everything the real process writes (LOG_LEVEL=debug, the most it ever logs)
 * while requests carry every kind of secret the API handles, and finds none of them.
 * The second test runs the real user journey and looks for the real secrets it produced.
 */
describe('log redaction (node dist/src/main.js, LOG_LEVEL=debug)', () => {
  let api: ApiProcess;
  let database: Awaited<ReturnType<typeof createDatabase>>;
  const ingestSecret = `ingest-${randomBytes(24).toString('hex')}`;
  const secrets = {
    accessToken: `eyJ.access.${randomBytes(16).toString('hex')}`,
    cookie: `session-${randomBytes(16).toString('hex')}`,
    password: `Pw-${randomBytes(12).toString('hex')}`,
    newPassword: `NewPw-${randomBytes(12).toString('hex')}`,
    refreshToken: `refresh-${randomBytes(16).toString('hex')}`,
    streamKey: randomBytes(24).toString('base64url'),
    ingestSecret,
  };

  beforeAll(async () => {
    database = await createDatabase('redaction');
    api = await startApiProcess({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'debug', INGEST_SECRET: ingestSecret } });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await database?.drop();
  });

  it('requests carrying secrets in headers, bodies, paths and query strings leave no secret in the logs', async () => {
    const json = (body: unknown, extra: Record<string, string> = {}) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...extra },
      body: JSON.stringify(body),
    });
    const bearer = { Authorization: `Bearer ${secrets.accessToken}` };
    const requests: Array<[string, RequestInit]> = [
      // A successful probe writes no line (logRequestCompleted); the secrets it carried must not show up either.
      ['/health', { headers: { ...bearer, Cookie: `sid=${secrets.cookie}` } }],
      [
        '/api/v1/users',
        json(
          { username: 'redact_me', email: 'redact@example.com', password: secrets.password },
          { Cookie: `sid=${secrets.cookie}`, 'X-Request-ID': 'redaction-test-1' },
        ),
      ],
      ['/api/v1/auth/login', json({ login: 'redact_me', password: secrets.password })],
      ['/api/v1/auth/refresh', json({ refreshToken: secrets.refreshToken })],
      [
        '/api/v1/users/me/password',
        { ...json({ currentPassword: secrets.password, newPassword: secrets.newPassword }, bearer), method: 'PUT' },
      ],
      ['/api/v1/streams', json({}, bearer)],
      [`/api/v1/ingest/keys/${secrets.streamKey}?secret=${ingestSecret}`, {}], // refused (401): Bearer only
      [`/api/v1/ingest/keys/${secrets.streamKey}`, { headers: { Authorization: `Bearer ${ingestSecret}` } }],
      [
        `/api/v1/ingest/nginx/on_publish?secret=${ingestSecret}`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: `app=live&call=publish&name=${secrets.streamKey}&clientid=7`,
        },
      ],
      [
        '/api/v1/ingest/srs/on_publish',
        json({ action: 'on_publish', app: 'live', stream: secrets.streamKey }, { Authorization: `Bearer ${ingestSecret}` }),
      ],
      [
        '/api/v1/ingest/mediamtx/auth',
        json(
          { action: 'publish', path: `live/${secrets.streamKey}`, query: `secret=${ingestSecret}` },
          { Authorization: `Bearer ${ingestSecret}` },
        ),
      ],
      [`/no/such/path?token=${secrets.accessToken}&key=${secrets.streamKey}&name=${secrets.streamKey}`, {}],
    ];
    for (const [path, init] of requests) {
      const res = await timedFetch(`${api.url}${path}`, init);
      expect(res.status).toBeGreaterThanOrEqual(200);
    }

    const expected = requests.length - 1; // all but the probe
    const started = Date.now();
    while (api.logs().filter((line) => line.msg === 'request completed').length < expected && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const requestLines = api.logs().filter((line) => line.msg === 'request completed');
    expect(requestLines).toHaveLength(expected);

    // One JSON line per request, with its id (the caller's when sane) and a redacted URL.
    expect(requestLines[0]).toMatchObject({
      reqId: 'redaction-test-1',
      req: { method: 'POST', route: '/api/v1/users', url: '/api/v1/users' },
      res: { statusCode: 201 },
    });
    const urls = requestLines.map((line) => (line.req as { url: string }).url);
    expect(urls).toContain('/api/v1/ingest/keys/[REDACTED]?secret=[REDACTED]');
    expect(urls).toContain('/api/v1/ingest/nginx/on_publish?secret=[REDACTED]');
    expect(urls).toContain('/[REDACTED]/[REDACTED]/[REDACTED]?token=[REDACTED]&key=[REDACTED]&name=[REDACTED]');
    for (const line of requestLines) expect(typeof line.reqId).toBe('string');

    const everything = api.output.join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, found: everything.includes(value) }).toEqual({ name, found: false });
    }
  });

  it('a full sign-up / login / refresh / create-stream / publish / rotate / password-change journey leaves none of its secrets in the logs', async () => {
    const before = api.output.length;
    const call = async (method: string, path: string, body?: unknown, token?: string, form?: string) => {
      const headers: Record<string, string> = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (form !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      return timedFetch(`${api.url}${path}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    };
    const password = `Journey-${randomBytes(12).toString('hex')}`;
    const newPassword = `Journey2-${randomBytes(12).toString('hex')}`;

    expect((await call('POST', '/api/v1/users', { username: 'journey', email: 'journey@example.com', password })).status).toBe(201);
    const login = await call('POST', '/api/v1/auth/login', { login: 'journey@example.com', password });
    expect(login.status).toBe(200);
    const session = login.body as { accessToken: string; refreshToken: string };
    const refreshed = await call('POST', '/api/v1/auth/refresh', { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    const { accessToken, refreshToken } = refreshed.body as { accessToken: string; refreshToken: string };

    const created = await call('POST', '/api/v1/streams', { expiresInSeconds: 3600 }, accessToken);
    expect(created.status).toBe(201);
    const stream = created.body as { id: number; streamKey: string };
    const hook = (name: string, clientId: number, callName: string) =>
      call(
        'POST',
        `/api/v1/ingest/nginx/${callName}?secret=${ingestSecret}`,
        undefined,
        undefined,
        `app=live&call=${callName}&name=${stream.streamKey}&clientid=${clientId}&addr=127.0.0.1`,
      );
    expect((await hook(stream.streamKey, 41, 'on_publish')).status).toBe(200);
    expect((await hook(stream.streamKey, 41, 'on_update')).status).toBe(200);
    const lookup = await timedFetch(`${api.url}/api/v1/ingest/keys/${stream.streamKey}`, {
      headers: { Authorization: `Bearer ${ingestSecret}` },
    });
    expect(lookup.status).toBe(200);
    expect((await hook(stream.streamKey, 41, 'on_publish_done')).status).toBe(200);
    const rotated = await call('POST', `/api/v1/streams/${stream.id}/key`, undefined, accessToken);
    expect(rotated.status).toBe(200);
    const newKey = (rotated.body as { streamKey: string }).streamKey;
    expect((await call('PUT', '/api/v1/users/me/password', { currentPassword: password, newPassword }, accessToken)).status).toBe(204);
    // A refresh token that stopped working, and a wrong password: failures must not leak either.
    expect((await call('POST', '/api/v1/auth/refresh', { refreshToken })).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', { login: 'journey', password })).status).toBe(401);

    const { rows } = await query(database.url, `SELECT password FROM users WHERE username = 'journey'`);
    const journeySecrets = {
      password,
      newPassword,
      passwordHash: rows[0].password as string,
      firstAccessToken: session.accessToken,
      firstRefreshToken: session.refreshToken,
      accessToken,
      refreshToken,
      streamKey: stream.streamKey,
      rotatedStreamKey: newKey,
      ingestSecret,
    };
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last log lines arrive
    const logged = api.output.slice(before).join('\n');
    expect(logged).toContain('request completed');
    for (const [name, value] of Object.entries(journeySecrets)) {
      expect({ name, found: logged.includes(value) }).toEqual({ name, found: false });
    }
  });
});
