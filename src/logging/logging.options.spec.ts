import { redactUrl, requestId } from './logging.options.js';
import type { IncomingMessage } from 'node:http';

describe('redactUrl', () => {
  it.each([
    ['/health', '/health'],
    ['/api/v1/ingest/keys/abcDEF_123-x', '/api/v1/ingest/keys/[REDACTED]'],
    ['/api/v1/ingest/keys/abc/extra?x=1', '/api/v1/ingest/keys/[REDACTED]?x=1'],
    ['/API/V1/INGEST/KEYS/abc', '/API/V1/INGEST/KEYS/[REDACTED]'],
    ['/api/v1/ingest/nginx/on_publish?secret=s3cr3t', '/api/v1/ingest/nginx/on_publish?secret=[REDACTED]'],
    ['/x?a=1&Secret=s&secret=t&b=2', '/x?a=1&Secret=[REDACTED]&secret=[REDACTED]&b=2'],
    ['/x?%73ecret=s', '/x?%73ecret=[REDACTED]'],
    ['/x?name=key1&stream=key2&key=key3&token=t&password=p', '/x?name=[REDACTED]&stream=[REDACTED]&key=[REDACTED]&token=[REDACTED]&password=[REDACTED]'],
    ['/api/v1/streams?status=live&limit=5&cursor=abc', '/api/v1/streams?status=live&limit=5&cursor=abc'],
    ['/x?secret', '/x?secret'],
    ['/x?%E0%A4%A=1', '/x?%E0%A4%A=1'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('requestId', () => {
  const req = (value?: string) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;

  it('keeps a sane X-Request-ID', () => {
    expect(requestId(req('0af7651916cd43dd8448eb211c80319c'))).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(requestId(req('trace:abc-123.4_5'))).toBe('trace:abc-123.4_5');
  });

  it.each([undefined, '', 'has spaces', 'x'.repeat(129), '{"json":1}', 'a\u00e9'])('replaces %p with a UUID', (value) => {
    expect(requestId(req(value))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
