import Fastify from 'fastify';
import { jsonLogger, logRequestCompleted, requestId, writeRequestLine } from './logging.options.js';
import type { IncomingMessage } from 'node:http';

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

describe('writeRequestLine', () => {
  it('writes the very line pino writes for the request, for info and error levels', async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ logLevel: 'info', nodeEnv: 'production' }, { write: (line: string) => void lines.push(line) });
    const app = Fastify({ loggerInstance: logger, disableRequestLogging: true, genReqId: requestId });
    app.get('/streams/:id', (request, reply) => reply.code(Number((request.query as { status?: string }).status ?? 200)).send({}));
    app.addHook('onResponse', (request, reply, done) => {
      writeRequestLine(request, reply.statusCode, 1.5);
      request.log[reply.statusCode >= 500 ? 'error' : 'info']({ req: request, res: reply, responseTime: 1.5 }, 'request completed');
      done();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (const status of [200, 503]) {
        lines.length = 0;
        await fetch(`${url}/streams/42?status=${status}&secret=x`, {
          headers: { 'user-agent': 'a "quoted" agent', 'x-request-id': 'req-1' },
        });
        // The hook runs once the answer is out.
        for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(lines).toHaveLength(2);
        const [ours, pinos] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(lines[0].endsWith('\n')).toBe(true);
        // The time may have moved on by a millisecond between the two lines.
        expect({ ...ours, time: undefined }).toEqual({ ...pinos, time: undefined });
        expect(ours).toMatchObject({ level: status >= 500 ? 'error' : 'info', reqId: 'req-1', res: { statusCode: status } });
        expect(Object.keys(ours)).toEqual(Object.keys(pinos));
      }
    } finally {
      await app.close();
    }
  });
});

describe('logRequestCompleted', () => {
  it('logs every request but a successful probe or scrape; a failing probe is logged', async () => {
    const lines: Array<{ msg: string; req: { url: string }; res: { statusCode: number } }> = [];
    const keep = (line: (typeof lines)[number]) => line.msg === 'request completed' && lines.push(line);
    const logger = jsonLogger(
      { logLevel: 'info', nodeEnv: 'production' },
      { write: (line: string) => void keep(JSON.parse(line) as (typeof lines)[number]) },
    );
    const app = Fastify({ loggerInstance: logger, disableRequestLogging: true });
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics', '/api/v1/ingest/keys/:key', '/healthz']) {
      app.get(path, (request, reply) => reply.code(Number((request.query as { status?: string }).status ?? 200)).send({}));
    }
    app.addHook('onResponse', logRequestCompleted);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const requests = ['/health', '/health/live', '/health/ready', '/metrics', '/health/ready?status=503', '/health/live?status=503'];
      requests.push('/api/v1/ingest/keys/1', '/healthz', '/health/nope');
      for (const url of requests) await (await fetch(`${base}${url}`)).arrayBuffer();
      // The hook runs once each answer is out.
      for (let i = 0; i < 100 && lines.length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(lines.map((line) => `${line.req.url} ${line.res.statusCode}`)).toEqual([
        '/health/ready?status=503 503',
        '/health/live?status=503 503',
        '/api/v1/ingest/keys/[REDACTED] 200',
        '/healthz 200',
        '/[REDACTED]/[REDACTED] 404', // unmatched: logged whatever it resembles
      ]);
    } finally {
      await app.close();
    }
  });
});
