import { createHmac } from 'node:crypto';
import { signatureHeader, verifyWebhookSignature } from './webhook-signature.js';
import { retryDelaySeconds } from './retry-schedule.js';
import { SecretBox, newWebhookSecret } from './secret-box.js';

/** What a receiver following API.md would write with node:crypto alone, independently of the code under test. */
function receiverAccepts(rawBody: string, header: string, secret: string, nowSeconds: number): boolean {
  const t = Number(/(?:^|,)t=(\d+)/.exec(header)?.[1]);
  if (!Number.isFinite(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return [...header.matchAll(/v1=([0-9a-f]+)/g)].some((match) => match[1] === expected);
}

describe('Streamly-Signature', () => {
  const body = JSON.stringify({ id: 'e1', type: 'stream.created', data: { stream: { id: 1, note: 'ünïcode ✓' } } });
  const secret = newWebhookSecret();
  const now = 1_800_000_000;

  it('signs t.body with each secret in force; an independent receiver accepts it', () => {
    const older = newWebhookSecret();
    const header = signatureHeader(body, [secret, older], now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(receiverAccepts(body, header, secret, now)).toBe(true);
    expect(receiverAccepts(body, header, older, now)).toBe(true);
    expect(verifyWebhookSignature(body, header, secret, 300, now)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), header, [newWebhookSecret(), older], 300, now)).toBe(true);
  });

  it('verifies a header the independent receiver built', () => {
    const header = `t=${now},v1=${createHmac('sha256', secret).update(`${now}.${body}`).digest('hex')}`;
    expect(verifyWebhookSignature(body, header, [secret], 300, now)).toBe(true);
  });

  it('refuses a wrong secret, a changed body, a t outside the tolerance, and anything malformed', () => {
    const header = signatureHeader(body, [secret], now);
    expect(verifyWebhookSignature(body, header, newWebhookSecret(), 300, now)).toBe(false);
    expect(verifyWebhookSignature(`${body} `, header, secret, 300, now)).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, 300, now + 301)).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, 300, now - 301)).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, 300, now + 300)).toBe(true);
    for (const bad of [undefined, '', 'v1=abc', `t=${now}`, `t=x,v1=${'0'.repeat(64)}`, header.replace(/t=\d+/, `t=${now + 1}`)]) {
      expect(verifyWebhookSignature(body, bad, secret, 300, now)).toBe(false);
    }
  });
});

describe('retry schedule', () => {
  it('starts at the base, doubles, is capped at an hour, with jitter of ±25 %', () => {
    expect(retryDelaySeconds(1, 10, () => 0.5)).toBe(10);
    expect(retryDelaySeconds(2, 10, () => 0.5)).toBe(20);
    expect(retryDelaySeconds(5, 10, () => 0.5)).toBe(160);
    expect(retryDelaySeconds(30, 10, () => 0.5)).toBe(3600);
    expect(retryDelaySeconds(30, 10, () => 0.999)).toBeLessThanOrEqual(3600);
    expect(retryDelaySeconds(1, 10, () => 0)).toBe(7.5);
    expect(retryDelaySeconds(1, 10, () => 0.999)).toBeCloseTo(12.5, 1);
  });
});

describe('SecretBox', () => {
  it('seals so that only the same JWT_SECRET opens, and never stores the plain secret', () => {
    const box = new SecretBox('a'.repeat(32));
    const secret = newWebhookSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.seal(secret)).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed)).toBe(secret);
    expect(() => new SecretBox('b'.repeat(32)).open(sealed)).toThrow(/another JWT_SECRET/);
    const damaged = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA');
    expect(() => box.open(damaged)).toThrow(/could not be decrypted/);
  });

  it('secrets carry 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice(6), 'base64url')).toHaveLength(32);
  });
});
