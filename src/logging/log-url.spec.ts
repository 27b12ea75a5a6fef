import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { logUrl, rememberRoute } from './log-url.js';

const KEY = 'Sk3yAbCdEfGh_123-xyz';
const matched = (url: string, template: string, params: Record<string, string> = {}) =>
  ({ url, routeOptions: { url: template }, params }) as unknown as FastifyRequest;
const unmatched = (url: string) => ({ url, routeOptions: { url: undefined }, params: {} }) as unknown as FastifyRequest;

describe('logUrl', () => {
  beforeAll(() => {
    for (const route of [
      '/api/v1/ingest/keys/:streamKey',
      '/api/v1/ingest/nginx/on_publish',
      '/api/v1/streams/:id/key',
      '/health',
      '/docs/*',
    ])
      rememberRoute(route);
  });

  it.each([
    ['/api/v1/ingest/keys/' + KEY, '/api/v1/ingest/keys/[REDACTED]'],
    ['/api/v1/ingest/%6Beys/' + KEY, '/api/v1/ingest/keys/[REDACTED]'],
    ['/api/v1/ingest/keys/' + KEY + ';x=1', '/api/v1/ingest/keys/[REDACTED]'],
  ])('a matched route is its template: %s → %s', (url, expected) => {
    expect(logUrl(matched(url, '/api/v1/ingest/keys/:streamKey', { streamKey: KEY }))).toBe(expected);
  });

  it('keeps numeric ids, redacts any other parameter value and every secret parameter', () => {
    expect(logUrl(matched('/api/v1/streams/42/key', '/api/v1/streams/:id/key', { id: '42' }))).toBe('/api/v1/streams/42/key');
    expect(logUrl(matched(`/api/v1/streams/${KEY}/key`, '/api/v1/streams/:id/key', { id: KEY }))).toBe('/api/v1/streams/[REDACTED]/key');
    expect(logUrl(matched('/api/v1/ingest/keys/123456', '/api/v1/ingest/keys/:streamKey', { streamKey: '123456' }))).toBe(
      '/api/v1/ingest/keys/[REDACTED]',
    );
    expect(logUrl(matched('/api/v1/ingest/keys/x', '/api/v1/ingest/keys/:streamKey', {}))).toBe('/api/v1/ingest/keys/[REDACTED]');
    expect(logUrl(matched('/docs/a/b', '/docs/*', { '*': 'a/b' }))).toBe('/docs/[REDACTED]');
  });

  it.each([
    ['//api/v1/ingest/keys/' + KEY, '//api/v1/ingest/keys/[REDACTED]'],
    ['/api/v1/ingest/keys/' + KEY + '/extra', '/api/v1/ingest/keys/[REDACTED]/[REDACTED]'],
    ['/API/V1/INGEST/KEYS/' + KEY, '/[REDACTED]/[REDACTED]/[REDACTED]/[REDACTED]/[REDACTED]'],
    ['/api/v1/ingest/./keys/' + KEY, '/api/v1/ingest/./keys/[REDACTED]'],
    ['/api/v1/ingest/kyes/' + KEY, '/api/v1/ingest/[REDACTED]/[REDACTED]'],
    ['/%61pi/v1/health', '/%61pi/v1/health'],
    ['/no/such/path', '/[REDACTED]/[REDACTED]/[REDACTED]'],
  ])('an unmatched path keeps only words of routes: %s → %s', (url, expected) => {
    expect(logUrl(unmatched(url))).toBe(expected);
    expect(logUrl({ url } as IncomingMessage)).toBe(expected);
  });

  it.each([
    ['?secret=s3cr3t', '?secret=[REDACTED]'],
    ['?a=1&Secret=s&SECRET=t&%73ecret=u&b=2', '?[REDACTED]&Secret=[REDACTED]&SECRET=[REDACTED]&%73ecret=[REDACTED]&[REDACTED]'],
    ['?secret[]=s&secert=s', '?[REDACTED]&[REDACTED]'],
    [
      `?name=${KEY}&stream=${KEY}&key=${KEY}&token=t&password=p`,
      '?name=[REDACTED]&stream=[REDACTED]&key=[REDACTED]&token=[REDACTED]&password=[REDACTED]',
    ],
    ['?status=live&limit=5&cursor=abc', '?status=live&limit=5&cursor=abc'],
    [`?${KEY}`, '?[REDACTED]'],
    ['?secret', '?secret'],
    ['?%E0%A4%A=1', '?[REDACTED]'],
    [`?status=live#${KEY}`, '?status=live#[REDACTED]'],
    [`#${KEY}`, '#[REDACTED]'],
    ['?', '?'],
  ])('query %s → %s', (search, expected) => {
    expect(logUrl(unmatched(`/health${search}`))).toBe(`/health${expected}`);
  });
});
