import { randomBytes } from 'node:crypto';

/** What a key this service makes looks like: safe in an RTMP URL, at most 64 characters. */
export const STREAM_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Control characters U+0000–U+001F and U+007F (NUL included, which PostgreSQL refuses with 22021). */
function hasControlCharacter(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Whether a key could be stored at all. Older services made keys of other shapes
 * (`live_<hex>`, UUIDs, ...), up to the column's 255 characters: those are looked
 * up like ours. Only what cannot exist is refused before the database.
 */
export function isPossibleStreamKey(key: string | undefined): key is string {
  return key !== undefined && key.length > 0 && key.length <= 255 && !hasControlCharacter(key);
}

/** 256 bits from the OS CSPRNG, base64url: 43 characters of [A-Za-z0-9_-]. */
export function generateStreamKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The original UNIQUE constraint on stream_key; a violation of it means "draw again". */
export const STREAM_KEY_CONSTRAINT = 'streams_stream_key_key';

/** Inserts or rotates with a fresh key, drawing again on the (astronomically rare) collision. */
export async function withFreshKey<T>(write: (key: string) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(generateStreamKey());
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code !== '23505' || constraint !== STREAM_KEY_CONSTRAINT || attempt >= attempts) throw error;
    }
  }
}
