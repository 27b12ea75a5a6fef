import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook secrets must be readable to sign, so they are stored encrypted, not hashed:
 * AES-256-GCM under a key derived (HKDF-SHA256) from JWT_SECRET, the one secret every
 * deployment already has and keeps out of the database. A dump of the database alone
 * yields no signing secret. Stored form: `v1.<key id>.<iv>.<ciphertext+tag>` (base64url);
 * the key id (8 hex of SHA-256 of the derived key) tells "encrypted under another
 * JWT_SECRET" apart from corruption. Changing JWT_SECRET makes stored secrets
 * unreadable: their deliveries fail with that message until the owner rotates the secret.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly keyId: string;

  constructor(masterSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, 'streamly', 'webhook-secrets/v1', 32));
    this.keyId = createHash('sha256').update(this.key).digest('hex').slice(0, 8);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return ['v1', this.keyId, iv.toString('base64url'), sealed.toString('base64url')].join('.');
  }

  /** Throws SecretUnreadableError when the value was sealed under another key or is damaged. */
  open(stored: string): string {
    const [version, keyId, iv, sealed] = stored.split('.');
    if (version !== 'v1' || !iv || !sealed) throw new SecretUnreadableError('webhook secret is not in a known format');
    if (keyId !== this.keyId)
      throw new SecretUnreadableError('webhook secret was encrypted under another JWT_SECRET: rotate the webhook secret');
    try {
      const bytes = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError('webhook secret could not be decrypted');
    }
  }
}

export class SecretUnreadableError extends Error {
  override name = 'SecretUnreadableError';
}

/** 32 bytes from the CSPRNG, shown once: `whsec_` + 43 base64url characters. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
