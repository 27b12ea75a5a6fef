import type { TestApp } from './app.js';
import { aStream, type BuiltUser, type StreamOverrides } from './builders.js';

export interface TestStream {
  id: number;
  streamKey: string;
  status: string;
  reconnectWindowSeconds: number;
  maxContinuousSeconds: number;
}

/** The hook calls of nginx-rtmp, SRS and MediaMTX as they arrive on the wire, with the secret in the URL. */
export function ingestHooks(t: TestApp) {
  const secret = () => encodeURIComponent(t.config.ingestSecret);
  /** What nginx-rtmp 1.2.2 posts (seen on the wire). */
  /** `time`: on_update's seconds since the publish started. */
  const nginx = (call: 'on_publish' | 'on_update' | 'on_publish_done', name: string, clientid: number | string, time = 30) => {
    const form =
      `app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A1935%2Flive&pageurl=&addr=203.0.113.7` +
      `&clientid=${clientid}&call=${call === 'on_publish' ? 'publish' : call === 'on_update' ? 'update_publish' : 'publish_done'}` +
      `&name=${encodeURIComponent(name)}&type=live${call === 'on_update' ? `&time=${time}&timestamp=${time * 1000}` : ''}`;
    return t.http().post(`/api/v1/ingest/nginx/${call}?secret=${secret()}`).type('form').send(form);
  };
  /** SRS 5 http_hooks JSON. */
  const srs = (hook: 'on_publish' | 'on_unpublish' | 'on_hls', stream: string, clientId: string) =>
    t
      .http()
      .post(`/api/v1/ingest/srs/${hook}?secret=${secret()}`)
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
        ...(hook === 'on_hls' ? { duration: 10.0, cwd: '/srs', file: './objs/nginx/html/live/x-1.ts', seq_no: 1, m3u8: 'x.m3u8' } : {}),
      });
  /** MediaMTX: the auth hook's JSON, and the form the documented runOnReady / runOnNotReady curl commands post. */
  const mediamtxAuth = (path: string) =>
    t
      .http()
      .post(`/api/v1/ingest/mediamtx/auth?secret=${secret()}`)
      .send({ user: '', password: '', token: '', ip: '192.0.2.9', action: 'publish', path, protocol: 'rtmp', id: null, query: '' });
  const mediamtxReady = (hook: 'on_ready' | 'on_not_ready', path: string, sourceId: string) =>
    t
      .http()
      .post(`/api/v1/ingest/mediamtx/${hook}?secret=${secret()}`)
      .type('form')
      .send(`path=${encodeURIComponent(path)}&source_type=rtmpConn&source_id=${encodeURIComponent(sourceId)}`);
  const lookup = (key: string) =>
    t
      .http()
      .get(`/api/v1/ingest/keys/${encodeURIComponent(key)}`)
      .set('Authorization', `Bearer ${t.config.ingestSecret}`);
  return { nginx, srs, mediamtxAuth, mediamtxReady, lookup };
}

/** Owner routes used around the hooks. */
export function ownerStreams(t: TestApp, owner: BuiltUser) {
  const create = (overrides: StreamOverrides = {}): Promise<TestStream> => aStream(t, owner, overrides);
  const get = async (id: number): Promise<TestStream> =>
    (await t.http().get(`/api/v1/streams/${id}`).set(owner.auth).expect(200)).body as TestStream;
  const statusOf = async (id: number) => (await get(id)).status;
  const patch = (id: number, body: object) => t.http().patch(`/api/v1/streams/${id}`).set(owner.auth).send(body);
  const rotate = async (id: number): Promise<TestStream> =>
    (await t.http().post(`/api/v1/streams/${id}/key`).set(owner.auth).expect(200)).body as TestStream;
  return { create, get, statusOf, patch, rotate };
}
