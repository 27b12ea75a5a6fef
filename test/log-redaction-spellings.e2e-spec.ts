import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { createDatabase } from './helpers/database.js';
import { timedFetch } from './helpers/http.js';

/** Every character percent-encoded: `%41%62...`. */
const encodeAll = (text: string) => [...text].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** Every request sent, by its X-Request-ID, so a request without a log line can be named. */
const sent = new Map<string, string>();

/** One request with the request-target exactly as given (fetch would normalise `//`, `./`, `#`). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const id = `spelling-${sent.size}`;
    sent.set(id, `${method} ${path}`);
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'X-Request-ID': id } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A production process (NODE_ENV=production, LOG_LEVEL=debug: everything info shows and
 * more) gets a real stream key, the ingest secret and an access token in every spelling a
 * router may accept or a client may send: percent-encoding, double slashes, dot segments,
 * case, trailing segments, matrix parameters, fragments, over-long and malformed paths, and
 * the secret under every query-name spelling. None of them appears in the output.
 */
describe('log redaction by route, not by spelling (production, real process)', () => {
  let api: ApiProcess;
  let database: Awaited<ReturnType<typeof createDatabase>>;
  const ingestSecret = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    database = await createDatabase('spellings');
    api = await startApiProcess({
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'debug',
        BCRYPT_COST: '10',
        DATABASE_URL: database.url,
        INGEST_SECRET: ingestSecret,
        SHUTDOWN_DRAIN_MS: '0',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await database?.drop();
  });

  it('no spelling of the key lookup, the hook routes or an unknown path leaks a key, a secret or a token', async () => {
    const password = `Pw-${randomBytes(12).toString('hex')}`;
    const json = (body: unknown, token?: string) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    expect(
      (await timedFetch(`${api.url}/api/v1/users`, json({ username: 'spelling', email: 'spelling@example.com', password }))).status,
    ).toBe(201);
    const session = (await timedFetch(`${api.url}/api/v1/auth/login`, json({ login: 'spelling', password }))).body as {
      accessToken: string;
    };
    const created = await timedFetch(`${api.url}/api/v1/streams`, json({}, session.accessToken));
    expect(created.status).toBe(201);
    const key = (created.body as { streamKey: string }).streamKey;
    const token = session.accessToken;
    const before = api.output.length;

    const K = key;
    const lookups = [
      `/api/v1/ingest/keys/${K}`,
      `/api/v1/ingest/%6Beys/${K}`,
      `/api/v1/ingest/%6beys/${K}`,
      `/api/v1/%69ngest/keys/${K}`,
      `/%61%70%69/%76%31/%69%6E%67%65%73%74/%6B%65%79%73/${K}`,
      `/api/v1/ingest/keys/${encodeAll(K)}`,
      `/api/v1/ingest/keys/${encodeAll(K).toLowerCase()}`,
      `//api/v1/ingest/keys/${K}`,
      `///api/v1/ingest/keys/${K}`,
      `/api/v1//ingest/keys/${K}`,
      `/api/v1/ingest//keys/${K}`,
      `/api/v1/ingest/keys//${K}`,
      `/API/V1/INGEST/KEYS/${K}`,
      `/api/v1/ingest/Keys/${K}`,
      `/Api/v1/ingest/keys/${K}`,
      `/api/v1/ingest/keys/${K}/`,
      `/api/v1/ingest/keys/${K}//`,
      `/api/v1/ingest/keys/${K}/extra`,
      `/api/v1/ingest/keys/${K}/${K}`,
      `/api/v1/ingest/keys/${K};jsessionid=1`,
      `/api/v1/ingest/keys/${K}%2Fextra`,
      `/api/v1/ingest/keys/${K}%3Fx=1`,
      `/api/v1/ingest/keys/%20${K}`,
      `/api/v1/ingest/./keys/${K}`,
      `/api/v1/ingest/x/../keys/${K}`,
      `/api/v1/ingest/keys/./${K}`,
      `/api/v1/ingest/keys/${K}#${K}`,
      `/api/v1/ingest/keys/${K}?x=1`,
      `/api/v1/ingest/keys/${K}%`,
      `/api/v1/ingest/keys/${K}%00`,
      `/api/v1/ingest/keys/${K.repeat(5)}`,
      `/api/v1/ingest/kyes/${K}`,
      `/api/v1/streams/${K}`,
      `/api/v1/${K}`,
      `/${K}`,
    ];
    const bearer = { Authorization: `Bearer ${ingestSecret}` };
    const statuses: number[] = [];
    for (const path of lookups) {
      for (const method of ['GET', 'HEAD', 'POST']) statuses.push(await raw(api.port, method, path, bearer));
    }
    // The plain spelling and the percent-encoded one both reach the lookup and find the key.
    expect(statuses[0]).toBe(200);
    expect(statuses[3]).toBe(200);

    const secretNames = [
      'secret',
      'Secret',
      'SECRET',
      '%73ecret',
      encodeAll('secret'),
      'secret[]',
      'secert',
      'x',
      'token',
      'access_token',
      'name',
      'key',
    ];
    const queries = [
      ...secretNames.flatMap((name) => [
        `${name}=${ingestSecret}`,
        `${name}=${encodeAll(ingestSecret)}`,
        `${name}=${token}`,
        `${name}=${K}`,
      ]),
      `secret=${ingestSecret}&secret=${ingestSecret}`,
      ingestSecret,
      K,
      `${K}=1`,
      `status=live&${ingestSecret}`,
    ];
    const queryPaths = [
      '/api/v1/ingest/nginx/on_publish',
      '/api/v1/ingest/%6Eginx/on_publish',
      '/api/v1/ingest/nginx/on_publish/',
      '/api/v1/ingest/mediamtx/auth',
      '/api/v1/streams',
      '/no/such/path',
    ];
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    for (const path of queryPaths) {
      for (const search of queries) statuses.push(await raw(api.port, 'POST', `${path}?${search}`, form, `app=live&name=${K}&clientid=1`));
    }
    for (const search of queries)
      statuses.push(await raw(api.port, 'GET', `/api/v1/ingest/keys/${K}?${search}`, { Authorization: `Bearer ${token}` }));
    expect(statuses).not.toContain(500);

    // One log line per request, also for those the router refused (400 bad URL, 414 too long).
    const requestLines = () => api.logs().filter((line) => line.msg === 'request completed');
    const missing = () => {
      const logged = new Set(requestLines().map((line) => line.reqId));
      return [...sent].filter(([id]) => !logged.has(id)).map(([, request]) => request);
    };
    const started = Date.now();
    while (missing().length > 0 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 50));

    const logged = api.output.slice(before).join('\n').toLowerCase();
    const secrets = { key: K, keyEncoded: encodeAll(K), ingestSecret, ingestSecretEncoded: encodeAll(ingestSecret), token };
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, found: logged.includes(value.toLowerCase()) }).toEqual({ name, found: false });
    }
    expect(missing()).toEqual([]);
    // Still useful: the template of a matched route, the route words of an unmatched path.
    const urls = requestLines().map((line) => (line.req as { url: string }).url);
    expect(urls).toContain('/api/v1/ingest/keys/[REDACTED]');
    expect(urls).toContain('/api/v1/ingest/keys/[REDACTED]/[REDACTED]');
    expect(urls).toContain('/api/v1/ingest/nginx/on_publish?secret=[REDACTED]');
    expect(urls).toContain('/api/v1/streams?status=live&[REDACTED]');
  });
});
