import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { Sweeper } from '../src/database/sweeper.service.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { aStream, aUser, type BuiltUser } from './helpers/builders.js';
import { bodyOf, type ErrorBody, type StreamBody } from './helpers/bodies.js';

interface Stream {
  id: number;
  streamKey: string;
}

describe('ingest (RTMP server hooks, real PostgreSQL)', () => {
  let t: TestApp;
  let db: DataSource;
  let owner: BuiltUser;
  let secret: string;
  let nextClientId = 1;

  beforeAll(async () => {
    // One owner publishes dozens of streams here: the per-user limits have their own suite.
    t = await startTestApp({ env: { INGEST_SESSION_TIMEOUT_SECONDS: '60', MAX_STREAMS_PER_USER: '0', MAX_LIVE_STREAMS_PER_USER: '0' } });
    db = t.app.get(DataSource);
    secret = t.config.ingestSecret;
    owner = await aUser(t, { username: 'streamer_one' });
  });
  afterAll(() => t.close());

  // No reconnect window: a stream is active as soon as its last session ended (the window has its own suite).
  const newStream = (): Promise<Stream> => aStream(t, owner, { reconnectWindowSeconds: 0 });
  const patch = (stream: Stream, body: object) => t.http().patch(`/api/v1/streams/${stream.id}`).set(owner.auth).send(body).expect(200);
  const statusOf = async (stream: Stream) =>
    bodyOf<StreamBody>(await t.http().get(`/api/v1/streams/${stream.id}`).set(owner.auth).expect(200)).status as string;
  const expire = (stream: Stream) => db.query(`UPDATE streams SET expires_at = now() - interval '1 second' WHERE id = $1`, [stream.id]);
  const openSessions = async (stream: Stream) =>
    (
      await db.query<{ client_id: string }[]>(
        `SELECT client_id FROM publish_sessions WHERE stream_id = $1 AND ended_at IS NULL ORDER BY started_at`,
        [stream.id],
      )
    ).map((r) => r.client_id);
  const lookup = (key: string) =>
    t
      .http()
      .get(`/api/v1/ingest/keys/${encodeURIComponent(key)}`)
      .set('Authorization', `Bearer ${secret}`);

  /** What nginx-rtmp 1.2.2 posts (seen on the wire), with the secret in the hook URL. */
  const nginx = (call: 'on_publish' | 'on_update' | 'on_publish_done', name: string, clientid: number | string, extra = '') => {
    const form =
      `app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A1935%2Flive&pageurl=&addr=203.0.113.7` +
      `&clientid=${clientid}&call=${call === 'on_publish' ? 'publish' : call === 'on_update' ? 'update_publish' : 'publish_done'}` +
      `&name=${encodeURIComponent(name)}&type=live${call === 'on_update' ? '&time=30&timestamp=30000' : ''}${extra}`;
    return t
      .http()
      .post(`/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(secret)}`)
      .type('form')
      .send(form);
  };
  const mediamtx = (body: object) =>
    t
      .http()
      .post(`/api/v1/ingest/mediamtx/auth?secret=${encodeURIComponent(secret)}`)
      .send(body);
  const srs = (hook: 'on_publish' | 'on_unpublish', stream: string, clientId: string) =>
    t
      .http()
      .post(`/api/v1/ingest/srs/${hook}?secret=${encodeURIComponent(secret)}`)
      .send({
        server_id: 'vid-1',
        service_id: 'svc',
        action: hook,
        client_id: clientId,
        ip: '198.51.100.4',
        vhost: '__defaultVhost__',
        app: 'live',
        tcUrl: 'rtmp://127.0.0.1/live',
        stream,
        param: '',
        stream_url: `/live/${stream}`,
        stream_id: 'vid-2',
      });

  describe('the ingest secret', () => {
    const routes: [string, string][] = [
      ['get', '/api/v1/ingest/keys/abc'],
      ['post', '/api/v1/ingest/nginx/on_publish'],
      ['post', '/api/v1/ingest/nginx/on_update'],
      ['post', '/api/v1/ingest/nginx/on_publish_done'],
      ['post', '/api/v1/ingest/mediamtx/auth'],
      ['post', '/api/v1/ingest/srs/on_publish'],
      ['post', '/api/v1/ingest/srs/on_unpublish'],
    ];
    const call = (method: string, path: string) =>
      method === 'get' ? t.http().get(path) : t.http().post(path).type('form').send('name=x&clientid=1');

    it.each(routes)('%s %s: 401 without it, with a wrong one, or a repeated one', async (method, path) => {
      const wrong = 'x'.repeat(secret.length);
      const answers = [
        await call(method, path),
        await call(method, `${path}?secret=${wrong}`),
        await call(method, `${path}?secret=${secret.slice(0, -1)}`),
        await call(method, `${path}?secret=`),
        await call(method, `${path}?secret=${secret}&secret=${secret}`),
        await call(method, path).set('Authorization', `Bearer ${wrong}`),
        await call(method, path).set('Authorization', `Basic ${secret}`),
        await call(method, `${path}?secret=${secret}`).set('Authorization', `Bearer ${wrong}`),
      ];
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ statusCode: 401, message: 'missing or invalid ingest secret', error: 'Unauthorized' });
      }
    });

    it('is never taken from the form body', async () => {
      const stream = await newStream();
      const res = await t
        .http()
        .post('/api/v1/ingest/nginx/on_publish')
        .type('form')
        .send(`name=${stream.streamKey}&clientid=1&secret=${encodeURIComponent(secret)}`);
      expect(res.status).toBe(401);
    });

    it('works as a Bearer header everywhere, and as ?secret= only on the hook routes of servers that cannot send a header', async () => {
      const stream = await newStream();
      await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}`).set('Authorization', `Bearer ${secret}`).expect(200);
      const inUrl = await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}?secret=${encodeURIComponent(secret)}`);
      expect(inUrl.status).toBe(401);
      expect(inUrl.body).toEqual({ statusCode: 401, message: 'missing or invalid ingest secret', error: 'Unauthorized' });
      await nginx('on_publish', stream.streamKey, 1).expect(200);
      await mediamtx({ action: 'publish', path: `live/${stream.streamKey}` }).expect(200);
      await srs('on_unpublish', stream.streamKey, 'c1').expect(200);
    });
  });

  describe('GET /api/v1/ingest/keys/:streamKey', () => {
    it('answers a usable key with exactly the contract fields', async () => {
      const stream = await newStream();
      const res = await lookup(stream.streamKey).expect(200);
      expect(res.body).toEqual({
        streamId: stream.id,
        userId: owner.id,
        username: 'streamer_one',
        status: 'active',
        expiresAt: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain(stream.streamKey);
    });

    it('403 with reason disabled / expired (before and after the sweep); 404 unknown', async () => {
      const disabled = await newStream();
      await patch(disabled, { status: 'disabled' });
      expect((await lookup(disabled.streamKey).expect(403)).body).toEqual({
        statusCode: 403,
        message: 'stream is disabled',
        error: 'Forbidden',
        reason: 'disabled',
      });
      const lapsed = await newStream();
      await expire(lapsed);
      expect(bodyOf<ErrorBody>(await lookup(lapsed.streamKey).expect(403)).reason).toBe('expired');
      await t.app.get(Sweeper).runOnce();
      expect(bodyOf<ErrorBody>(await lookup(lapsed.streamKey).expect(403)).reason).toBe('expired');

      const unknown = await lookup('A'.repeat(43)).expect(404);
      expect(unknown.body).toEqual({ statusCode: 404, message: 'unknown stream key', error: 'Not Found' });
      for (const garbage of ['a.b', 'x'.repeat(65), "' OR 1=1 --", 'ключ']) await lookup(garbage).expect(404);
    });

    it('a live stream is usable', async () => {
      const stream = await newStream();
      await nginx('on_publish', stream.streamKey, nextClientId++).expect(200);
      expect(bodyOf<StreamBody>(await lookup(stream.streamKey).expect(200)).status).toBe('live');
    });
  });

  describe('nginx-rtmp hooks', () => {
    it('on_publish allows a usable key, marks the stream live and records the session; on_publish_done ends it', async () => {
      const stream = await newStream();
      const clientId = nextClientId++;
      const res = await nginx('on_publish', stream.streamKey, clientId);
      expect(res.status).toBe(200);
      expect(await statusOf(stream)).toBe('live');
      const [session] = await db.query<Record<string, unknown>[]>(`SELECT * FROM publish_sessions WHERE stream_id = $1`, [stream.id]);
      expect(session).toMatchObject({ ingest: 'nginx', client_id: String(clientId), remote_addr: '203.0.113.7', ended_at: null });
      expect(session.server_addr).toMatch(/127\.0\.0\.1/);
      expect(session.started_at).toBeInstanceOf(Date);

      await nginx('on_publish_done', stream.streamKey, clientId).expect(200);
      expect(await statusOf(stream)).toBe('active');
      expect(await openSessions(stream)).toEqual([]);
    });

    it('on_publish refuses unknown, disabled and expired keys with 403 (never 3xx)', async () => {
      const disabled = await newStream();
      await patch(disabled, { status: 'disabled' });
      const lapsed = await newStream();
      await expire(lapsed);
      for (const key of ['unknownKeyThatIsLongEnough_123456789', disabled.streamKey, lapsed.streamKey]) {
        const res = await nginx('on_publish', key, nextClientId++);
        expect(res.status).toBe(403);
      }
      expect(await statusOf(disabled)).toBe('disabled');
      expect(await statusOf(lapsed)).toBe('expired');
      expect(await openSessions(disabled)).toEqual([]);
    });

    it('takes nginx’s own (first) name: a publisher appending ?name=<victim key> gets nothing', async () => {
      const victim = await newStream();
      const res = await nginx('on_publish', 'bogus', nextClientId++, `&name=${victim.streamKey}&call=publish`);
      expect(res.status).toBe(403);
      expect(await statusOf(victim)).toBe('active');
      expect(await openSessions(victim)).toEqual([]);
      // The same attack on on_update cannot revive anything either.
      expect((await nginx('on_update', 'bogus', nextClientId++, `&name=${victim.streamKey}`)).status).toBe(403);
      // And the real key first with junk appended still works.
      expect((await nginx('on_publish', victim.streamKey, nextClientId++, '&name=bogus&foo=bar')).status).toBe(200);
    });

    it('needs name and clientid (400, which nginx treats as a refusal)', async () => {
      const stream = await newStream();
      const post = (form: string) =>
        t
          .http()
          .post(`/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(secret)}`)
          .type('form')
          .send(form);
      expect((await post(`clientid=1`)).status).toBe(400);
      expect((await post(`name=${stream.streamKey}`)).status).toBe(400);
      expect((await post(`name=&clientid=1`)).status).toBe(400);
      expect(await statusOf(stream)).toBe('active');
    });

    it('never answers 3xx, also for a trailing slash or GET', async () => {
      const stream = await newStream();
      const variants = [
        t
          .http()
          .post(`/api/v1/ingest/nginx/on_publish/?secret=${encodeURIComponent(secret)}`)
          .type('form')
          .send(`name=${stream.streamKey}&clientid=1`),
        t
          .http()
          .post(`/api/v1/ingest/nginx//on_publish?secret=${encodeURIComponent(secret)}`)
          .type('form')
          .send(`name=${stream.streamKey}&clientid=1`),
        t.http().get(`/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(secret)}`),
        t
          .http()
          .post(`/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(secret)}`)
          .type('json')
          .send({ clientid: 1 }),
      ];
      for (const res of await Promise.all(variants)) {
        expect(res.status).toBeGreaterThanOrEqual(400);
      }
      expect(await statusOf(stream)).toBe('active');
    });

    it('a second publisher on a live key is allowed; the stream is live while any session is open', async () => {
      const stream = await newStream();
      const first = nextClientId++;
      const second = nextClientId++;
      await nginx('on_publish', stream.streamKey, first).expect(200);
      await nginx('on_publish', stream.streamKey, second).expect(200);
      expect(await openSessions(stream)).toEqual([String(first), String(second)]);
      // nginx refuses the second itself ("already publishing") and reports it done: the first keeps streaming.
      await nginx('on_publish_done', stream.streamKey, second).expect(200);
      expect(await statusOf(stream)).toBe('live');
      await nginx('on_update', stream.streamKey, first).expect(200);
      await nginx('on_publish_done', stream.streamKey, first).expect(200);
      expect(await statusOf(stream)).toBe('active');
    });

    it('a stale on_publish_done from an earlier clientid does not flip a newer live session', async () => {
      const stream = await newStream();
      const old = nextClientId++;
      const reconnect = nextClientId++;
      await nginx('on_publish', stream.streamKey, old).expect(200);
      await nginx('on_publish', stream.streamKey, reconnect).expect(200);
      await nginx('on_publish_done', stream.streamKey, old).expect(200);
      expect(await statusOf(stream)).toBe('live');
      expect(await openSessions(stream)).toEqual([String(reconnect)]);
      // Repeated or unknown publish-done is harmless.
      await nginx('on_publish_done', stream.streamKey, old).expect(200);
      await nginx('on_publish_done', stream.streamKey, 999_999).expect(200);
      expect(await statusOf(stream)).toBe('live');
    });

    it('on_update keeps a usable key going and refreshes last_seen_at', async () => {
      const stream = await newStream();
      const clientId = nextClientId++;
      await nginx('on_publish', stream.streamKey, clientId).expect(200);
      await db.query(`UPDATE publish_sessions SET last_seen_at = now() - interval '40 seconds' WHERE stream_id = $1`, [stream.id]);
      await nginx('on_update', stream.streamKey, clientId).expect(200);
      const [{ age }] = await db.query<{ age: number }[]>(
        `SELECT extract(epoch FROM now() - last_seen_at)::float AS age FROM publish_sessions WHERE stream_id = $1`,
        [stream.id],
      );
      expect(age).toBeLessThan(5);
      expect(await statusOf(stream)).toBe('live');
    });

    it('on_update cuts a publisher off once its key was rotated (it still sends the old key)', async () => {
      const stream = await newStream();
      const clientId = nextClientId++;
      await nginx('on_publish', stream.streamKey, clientId).expect(200);
      const rotated = bodyOf<StreamBody>(await t.http().post(`/api/v1/streams/${stream.id}/key`).set(owner.auth).expect(200));
      expect(rotated.status).toBe('live');
      expect((await nginx('on_update', stream.streamKey, clientId)).status).toBe(403);
      expect(await openSessions(stream)).toEqual([]);
      expect(await statusOf(stream)).toBe('active');
      // nginx then reports the publish done, still with the old key.
      await nginx('on_publish_done', stream.streamKey, clientId).expect(200);
      expect(await statusOf(stream)).toBe('active');
      // The new key publishes normally.
      await nginx('on_publish', rotated.streamKey, nextClientId++).expect(200);
    });

    it('on_update refuses once the stream was disabled, deleted or expired', async () => {
      const disabled = await newStream();
      const deleted = await newStream();
      const lapsed = await newStream();
      const ids = { disabled: nextClientId++, deleted: nextClientId++, lapsed: nextClientId++ };
      await nginx('on_publish', disabled.streamKey, ids.disabled).expect(200);
      await nginx('on_publish', deleted.streamKey, ids.deleted).expect(200);
      await nginx('on_publish', lapsed.streamKey, ids.lapsed).expect(200);

      await patch(disabled, { status: 'disabled' });
      await t.http().delete(`/api/v1/streams/${deleted.id}`).set(owner.auth).expect(204);
      await expire(lapsed);

      expect((await nginx('on_update', disabled.streamKey, ids.disabled)).status).toBe(403);
      expect((await nginx('on_update', deleted.streamKey, ids.deleted)).status).toBe(403);
      expect((await nginx('on_update', lapsed.streamKey, ids.lapsed)).status).toBe(403);
      expect(await statusOf(disabled)).toBe('disabled');
      expect(await statusOf(lapsed)).toBe('expired');
      expect(await openSessions(disabled)).toEqual([]);
      expect(await openSessions(lapsed)).toEqual([]);
    });

    it('a stream re-enabled while its encoder kept publishing turns live again at the next on_update', async () => {
      const stream = await newStream();
      const clientId = nextClientId++;
      await nginx('on_publish', stream.streamKey, clientId).expect(200);
      await patch(stream, { status: 'disabled' });
      expect(bodyOf<StreamBody>(await patch(stream, { status: 'active' })).status).toBe('active');
      await nginx('on_update', stream.streamKey, clientId).expect(200);
      expect(await statusOf(stream)).toBe('live');
    });

    it('on_update for a publish it has no session of decides like a publish (and records one)', async () => {
      const stream = await newStream();
      const clientId = nextClientId++;
      await nginx('on_update', stream.streamKey, clientId).expect(200);
      expect(await statusOf(stream)).toBe('live');
      expect(await openSessions(stream)).toEqual([String(clientId)]);
      expect((await nginx('on_update', 'unknownKeyThatIsLongEnough_123456789', nextClientId++)).status).toBe(403);
    });

    it('a clientid reused after an nginx restart ends the old session (lost publish_done)', async () => {
      const before = await newStream();
      const after = await newStream();
      await nginx('on_publish', before.streamKey, 'restart-1').expect(200);
      // nginx restarts, counts from 1 again, and a different stream gets the same clientid.
      await nginx('on_publish', after.streamKey, 'restart-1').expect(200);
      expect(await statusOf(before)).toBe('active');
      expect(await statusOf(after)).toBe('live');
      expect(await openSessions(before)).toEqual([]);
    });

    it('the sweep closes sessions that stopped getting on_update and puts their stream back to active', async () => {
      const quiet = await newStream();
      const busy = await newStream();
      const both = await newStream();
      const ids = { quiet: nextClientId++, busy: nextClientId++, bothOld: nextClientId++, bothNew: nextClientId++ };
      await nginx('on_publish', quiet.streamKey, ids.quiet).expect(200);
      await nginx('on_publish', busy.streamKey, ids.busy).expect(200);
      await nginx('on_publish', both.streamKey, ids.bothOld).expect(200);
      await nginx('on_publish', both.streamKey, ids.bothNew).expect(200);
      await db.query(`UPDATE publish_sessions SET last_seen_at = now() - interval '61 seconds' WHERE client_id IN ($1, $2)`, [
        String(ids.quiet),
        String(ids.bothOld),
      ]);
      await t.app.get(Sweeper).runOnce();
      expect(await statusOf(quiet)).toBe('active');
      expect(await openSessions(quiet)).toEqual([]);
      expect(await statusOf(busy)).toBe('live');
      expect(await statusOf(both)).toBe('live');
      expect(await openSessions(both)).toEqual([String(ids.bothNew)]);
    });

    it('publish and publish_done racing on one stream leave it consistent', async () => {
      const stream = await newStream();
      for (let round = 0; round < 10; round++) {
        const leaving = `race-${round}-a`;
        const arriving = `race-${round}-b`;
        await nginx('on_publish', stream.streamKey, leaving).expect(200);
        await Promise.all([
          nginx('on_publish_done', stream.streamKey, leaving).expect(200),
          nginx('on_publish', stream.streamKey, arriving).expect(200),
        ]);
        expect(await statusOf(stream)).toBe('live');
        await nginx('on_publish_done', stream.streamKey, arriving).expect(200);
        expect(await statusOf(stream)).toBe('active');
      }
    });
  });

  describe('MediaMTX authMethod http', () => {
    const auth = (action: string, path: string) =>
      mediamtx({ user: '', password: '', token: '', ip: '192.0.2.9', action, path, protocol: 'rtmp', id: null, query: '' });

    it('publish: the last segment of path is the key; 200 if usable, else 401', async () => {
      const stream = await newStream();
      await auth('publish', `live/${stream.streamKey}`).expect(200);
      await auth('publish', stream.streamKey).expect(200);
      const disabled = await newStream();
      await patch(disabled, { status: 'disabled' });
      const lapsed = await newStream();
      await expire(lapsed);
      for (const path of [
        `live/${disabled.streamKey}`,
        `live/${lapsed.streamKey}`,
        'live/unknownKeyThatIsLongEnough_123456789',
        'live/',
        '',
      ]) {
        expect((await auth('publish', path)).status).toBe(401);
      }
      // Only a check: MediaMTX's auth hook has no matching end call, so no live state from it.
      expect(await statusOf(stream)).toBe('active');
    });

    it('read and playback are allowed; api, metrics, pprof and anything else are not', async () => {
      await auth('read', 'live/anything').expect(200);
      await auth('playback', 'live/anything').expect(200);
      for (const action of ['api', 'metrics', 'pprof', 'bogus', '']) expect((await auth(action, '')).status).toBe(401);
      expect((await mediamtx({ path: 'live/x' })).status).toBe(401);
    });
  });

  describe('SRS http_hooks', () => {
    it('on_publish: HTTP 200 body 0 and live; on_unpublish: 200 body 0 and active', async () => {
      const stream = await newStream();
      const published = await srs('on_publish', stream.streamKey, 'srs-a1');
      expect(published.status).toBe(200);
      expect(published.text).toBe('0');
      expect(await statusOf(stream)).toBe('live');
      expect(await openSessions(stream)).toEqual(['srs-a1']);
      const unpublished = await srs('on_unpublish', stream.streamKey, 'srs-a1');
      expect(unpublished.status).toBe(200);
      expect(unpublished.text).toBe('0');
      expect(await statusOf(stream)).toBe('active');
    });

    it('on_publish refuses unknown, disabled and expired keys with HTTP 403 {"code":403}', async () => {
      const disabled = await newStream();
      await patch(disabled, { status: 'disabled' });
      const lapsed = await newStream();
      await expire(lapsed);
      for (const key of ['unknownKeyThatIsLongEnough_123456789', disabled.streamKey, lapsed.streamKey]) {
        const res = await srs('on_publish', key, `srs-${key.slice(0, 8)}`);
        expect(res.status).toBe(403);
        expect(res.text).toBe('{"code":403}');
      }
    });

    it('a stale on_unpublish does not end a newer session', async () => {
      const stream = await newStream();
      await srs('on_publish', stream.streamKey, 'srs-old').expect(200);
      await srs('on_publish', stream.streamKey, 'srs-new').expect(200);
      await srs('on_unpublish', stream.streamKey, 'srs-old').expect(200);
      expect(await statusOf(stream)).toBe('live');
    });
  });

  describe('decision outcomes', () => {
    const decisions = async () => {
      const text = (await t.http().get('/metrics').expect(200)).text;
      const counts = new Map<string, number>();
      for (const match of text.matchAll(/^streamly_ingest_decisions_total\{adapter="(\w+)",outcome="(\w+)"\} (\d+)$/gm)) {
        counts.set(`${match[1]}:${match[2]}`, Number(match[3]));
      }
      return counts;
    };

    it('every decision is counted in /metrics by adapter and outcome', async () => {
      const stream = await newStream();
      const disabled = await newStream();
      await patch(disabled, { status: 'disabled' });
      const lapsed = await newStream();
      await expire(lapsed);
      const before = await decisions();
      await lookup(stream.streamKey).expect(200);
      await lookup(disabled.streamKey).expect(403);
      await lookup(lapsed.streamKey).expect(403);
      await lookup('nobodysKeyAtAllButLongEnough_12345678').expect(404);
      await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}`).expect(401);
      await nginx('on_publish', stream.streamKey, nextClientId++).expect(200);
      await t.http().post('/api/v1/ingest/srs/on_publish').send({}).expect(401);
      await mediamtx({ action: 'publish', path: `live/${disabled.streamKey}` }).expect(401);
      const after = await decisions();
      const delta = (label: string) => (after.get(label) ?? 0) - (before.get(label) ?? 0);
      expect(
        [
          'keys:allowed',
          'keys:disabled',
          'keys:expired',
          'keys:unknown',
          'keys:unauthorized',
          'nginx:allowed',
          'srs:unauthorized',
          'mediamtx:disabled',
        ].map((label) => [label, delta(label)]),
      ).toEqual([
        ['keys:allowed', 1],
        ['keys:disabled', 1],
        ['keys:expired', 1],
        ['keys:unknown', 1],
        ['keys:unauthorized', 1],
        ['nginx:allowed', 1],
        ['srs:unauthorized', 1],
        ['mediamtx:disabled', 1],
      ]);
    });
  });
});
