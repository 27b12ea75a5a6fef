import type { OpenAPIObject } from '@nestjs/swagger';
import { bodyOf } from './helpers/bodies.js';
import { expect } from '@jest/globals';
import { createFastifyAdapter } from '../src/app.setup.js';
import { loadConfig, type ResolvedConfig } from '../src/config/app-config.js';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('HTTP hygiene: security headers, CORS, API docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('security headers (helmet) on API routes, the docs and unmatched paths; none on routes only machines call', async () => {
    for (const path of ['/api/v1/users/me', '/docs', '/api/v1/nothing-here']) {
      const res = await t.http().get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['strict-transport-security']).toContain('max-age=');
    }
    // Ingest servers, probes and Prometheus: no browser reads these, and they are the hottest routes.
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics', '/api/v1/ingest/keys/some-key']) {
      const res = await t.http().get(path);
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['x-frame-options']).toBeUndefined();
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    }
  });

  it('a 404 for an unmatched route does not echo its query (a mistyped hook URL carries ?secret=)', async () => {
    const res = await t.http().get('/api/v1/ingest/nginx/on_publish?secret=do-not-echo&x=1').expect(404);
    expect(res.body).toEqual({ statusCode: 404, message: 'Cannot GET /api/v1/ingest/nginx/on_publish', error: 'Not Found' });
    expect(res.text).not.toContain('do-not-echo');
  });

  it('no cross-origin access by default', async () => {
    const preflight = await t
      .http()
      .options('/api/v1/users')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await t.http().get('/health').set('Origin', 'https://app.example');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('CORS_ORIGINS lets exactly those origins in', async () => {
    const cors = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example, https://admin.example:8443' } });
    try {
      const allowed = await cors
        .http()
        .options('/api/v1/users')
        .set('Origin', 'https://admin.example:8443')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(allowed.status).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example:8443');
      expect(allowed.headers['access-control-allow-headers']).toMatch(/authorization/i);
      const other = await cors.http().get('/health').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.close();
    }
  });

  it('/docs serves Swagger UI that works under the Content-Security-Policy (no inline script, assets served)', async () => {
    const page = await t.http().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src="\/docs\//);
      expect(inline.trim()).toBe('');
    }
    const assets = [...page.text.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js', '/docs/swagger-ui.css']));
    for (const asset of assets) {
      const res = await t.http().get(asset).expect(200);
      expect(res.headers['content-type']).toMatch(
        asset.endsWith('.css') ? /^text\/css/ : asset.endsWith('.png') ? /^image\/png/ : /^application\/javascript/,
      );
    }
    expect((await t.http().get('/docs/swagger-ui-init.js')).text).toContain("url: '/docs-json'");
  });

  it('/docs-json is the OpenAPI document: title, version, bearer auth, the root probes', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const document = bodyOf<OpenAPIObject>(res);
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info).toMatchObject({ title: 'Streamly API', version: '1.0' });
    expect(document.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/health/live', '/health/ready', '/metrics']));
    await t.http().get('/api/v1/docs').expect(404);
  });

  it('bodies over 64 KiB get 413', async () => {
    const res = await t
      .http()
      .post('/api/v1/users')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(64 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ statusCode: 413 });
  });
});

describe('TRUST_PROXY with Fastify 5: what request.ip becomes behind proxies', () => {
  // The client 203.0.113.9 reached us through two proxies: 10.0.0.2, then 127.0.0.1 (our socket peer).
  const clientIp = async (trustProxy: string) => {
    const config = {
      ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', TRUST_PROXY: trustProxy }),
      databaseUrl: 'postgres://unused@127.0.0.1/x',
    } as ResolvedConfig;
    const fastify = createFastifyAdapter(config).getInstance();
    fastify.get('/ip', (request) => Promise.resolve({ ip: request.ip }));
    const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${address}/ip`, { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.2' } });
      return ((await res.json()) as { ip: string }).ip;
    } finally {
      await fastify.close();
    }
  };

  it.each([
    ['false', '127.0.0.1'],
    ['1', '10.0.0.2'],
    ['2', '203.0.113.9'],
    ['127.0.0.1', '10.0.0.2'],
    ['127.0.0.1,10.0.0.0/8', '203.0.113.9'],
    ['true', '203.0.113.9'],
  ])('TRUST_PROXY=%s → %s', async (trustProxy, expected) => {
    expect(await clientIp(trustProxy)).toBe(expected);
  });
});
