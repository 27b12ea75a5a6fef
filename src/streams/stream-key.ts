import { randomBytes } from 'node:crypto';

/** What any stream key looks like: safe in an RTMP URL, at most the column's 64 characters. */
export const STREAM_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** 256 bits from the OS CSPRNG, base64url: 43 characters of [A-Za-z0-9_-]. */
export function generateStreamKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The unique index that makes keys unique; a violation of it means "draw again". */
export const STREAM_KEY_INDEX = 'idx_streams_stream_key';

/** Inserts or rotates with a fresh key, drawing again on the (astronomically rare) collision. */
export async function withFreshKey<T>(write: (key: string) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(generateStreamKey());
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code !== '23505' || constraint !== STREAM_KEY_INDEX || attempt >= attempts) throw error;
    }
  }
}
