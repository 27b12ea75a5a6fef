import { randomBytes } from 'node:crypto';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase } from './helpers/database.js';
import { timedFetch } from './helpers/http.js';

/**
 * Captures everything the real process writes (LOG_LEVEL=debug, the most it ever logs)
 * while requests carry every kind of secret the API handles, and finds none of them.
 * To be extended to the full sign-up / login / create-stream / publish flow once those
 * routes exist: add the requests, keep the secret list and the final assertion.
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
      ['/health', { headers: { ...bearer, Cookie: `sid=${secrets.cookie}`, 'X-Request-ID': 'redaction-test-1' } }],
      ['/api/v1/users', json({ username: 'redact_me', email: 'redact@example.com', password: secrets.password })],
      ['/api/v1/auth/login', json({ login: 'redact_me', password: secrets.password })],
      ['/api/v1/auth/refresh', json({ refreshToken: secrets.refreshToken })],
      ['/api/v1/users/me/password', { ...json({ currentPassword: secrets.password, newPassword: secrets.newPassword }, bearer), method: 'PUT' }],
      ['/api/v1/streams', json({}, bearer)],
      [`/api/v1/ingest/keys/${secrets.streamKey}?secret=${ingestSecret}`, {}],
      [`/api/v1/ingest/keys/${secrets.streamKey}`, { headers: { Authorization: `Bearer ${ingestSecret}` } }],
      [
        `/api/v1/ingest/nginx/on_publish?secret=${ingestSecret}`,
        { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `app=live&call=publish&name=${secrets.streamKey}&clientid=7` },
      ],
      ['/api/v1/ingest/srs/on_publish', json({ action: 'on_publish', app: 'live', stream: secrets.streamKey }, { Authorization: `Bearer ${ingestSecret}` })],
      ['/api/v1/ingest/mediamtx/auth', json({ action: 'publish', path: `live/${secrets.streamKey}`, query: `secret=${ingestSecret}` }, { Authorization: `Bearer ${ingestSecret}` })],
      [`/no/such/path?token=${secrets.accessToken}&key=${secrets.streamKey}&name=${secrets.streamKey}`, {}],
    ];
    for (const [path, init] of requests) {
      const res = await timedFetch(`${api.url}${path}`, init);
      expect(res.status).toBeGreaterThanOrEqual(200);
    }

    const expected = requests.length;
    const started = Date.now();
    while (api.logs().filter((line) => line.msg === 'request completed').length < expected && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const requestLines = api.logs().filter((line) => line.msg === 'request completed');
    expect(requestLines).toHaveLength(expected);

    // One JSON line per request, with its id (the caller's when sane) and a redacted URL.
    expect(requestLines[0]).toMatchObject({ reqId: 'redaction-test-1', req: { method: 'GET', route: '/health', url: '/health' }, res: { statusCode: 200 } });
    const urls = requestLines.map((line) => (line.req as { url: string }).url);
    expect(urls).toContain('/api/v1/ingest/keys/[REDACTED]?secret=[REDACTED]');
    expect(urls).toContain('/api/v1/ingest/nginx/on_publish?secret=[REDACTED]');
    expect(urls).toContain('/no/such/path?token=[REDACTED]&key=[REDACTED]&name=[REDACTED]');
    for (const line of requestLines) expect(typeof line.reqId).toBe('string');

    const everything = api.output.join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, found: everything.includes(value) }).toEqual({ name, found: false });
    }
  });
});
