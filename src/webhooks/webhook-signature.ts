import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Streamly-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
 * one `v1=` per secret in force (two for 24 h after a rotation). The HMAC key is the
 * secret exactly as shown at creation (its UTF-8 bytes, `whsec_` prefix included) or
 * as configured in WEBHOOK_SECRET. Only node:crypto, so receivers can copy this file.
 */
export const SIGNATURE_HEADER = 'Streamly-Signature';
/** What the contract tells receivers to accept: a `t` at most 5 minutes from their clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureHeader(rawBody: string | Buffer, secrets: string[], timestamp = Math.floor(Date.now() / 1000)): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmac(secret, timestamp, rawBody)}`)].join(',');
}

/**
 * true when `header` carries a `v1` signature of `rawBody` (the bytes as received,
 * before any JSON parsing) by one of `secrets`, with a `t` within `toleranceSeconds`
 * of now. Anything malformed is simply false.
 */
export function verifyWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  secrets: string | string[],
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds = Date.now() / 1000,
): boolean {
  if (typeof header !== 'string') return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value ?? '')) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const candidates = (Array.isArray(secrets) ? secrets : [secrets]).map((secret) => Buffer.from(hmac(secret, timestamp, rawBody), 'hex'));
  return candidates.some((expected) => signatures.some((given) => timingSafeEqual(expected, given)));
}

function hmac(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}
