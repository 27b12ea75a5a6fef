import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Outside production a missing secret is generated once and kept in the data
 * directory, so sessions and RTMP server configs survive restarts. Returns the
 * value and the file it lives in (the file name may be logged; the value never).
 */
export async function devSecret(dataDir: string, name: string): Promise<{ value: string; file: string }> {
  const file = join(dataDir, name);
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value.length >= 32) return { value, file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // URL-safe so the ingest secret can sit in an nginx `?secret=` query string as is.
  const value = randomBytes(32).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, file };
}
