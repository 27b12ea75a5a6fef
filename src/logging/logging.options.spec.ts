import { requestId } from './logging.options.js';
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
