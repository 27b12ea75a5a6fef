import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('hides the stream key of the ingest lookup', () => {
    expect(redactUrl('/api/v1/ingest/keys/q3Zk0c6V1yJp8sE2u9WmN4bXr7tLhA5dFgKiOoPwQeY')).toBe('/api/v1/ingest/keys/[REDACTED]');
    expect(redactUrl('/api/v1/ingest/keys/abc?secret=s3cr3t&x=1')).toBe('/api/v1/ingest/keys/[REDACTED]?secret=[REDACTED]&x=1');
  });

  it('hides every secret parameter, however it is spelled', () => {
    expect(redactUrl('/api/v1/ingest/nginx/on_publish?secret=s3cr3t')).toBe('/api/v1/ingest/nginx/on_publish?secret=[REDACTED]');
    expect(redactUrl('/x?a=1&SECRET=s3cr3t&secret=two')).toBe('/x?a=1&SECRET=[REDACTED]&secret=[REDACTED]');
    expect(redactUrl('/x?%73ecret=s3cr3t')).toBe('/x?%73ecret=[REDACTED]');
    expect(redactUrl('/x?secret')).toBe('/x?secret=[REDACTED]');
  });

  it('leaves other URLs alone', () => {
    expect(redactUrl('/api/v1/streams?limit=20&cursor=abc')).toBe('/api/v1/streams?limit=20&cursor=abc');
    expect(redactUrl('/health')).toBe('/health');
  });
});
