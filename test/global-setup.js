import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Jest loads global setup outside its module mapping, so this uses the build (`pretest` runs it).
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';

/**
 * One real PostgreSQL for the whole run: DATABASE_URL when set, else a throwaway
 * embedded cluster. Every suite then creates its own database on it (test/helpers/database.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const base = await mkdtemp(join(tmpdir(), 'streamly-test-'));
  const embedded = await startEmbeddedPostgres({ dataDir: join(base, 'pg'), persistent: false });
  globalThis.__STREAMLY_EMBEDDED__ = embedded;
  process.env.TEST_DATABASE_URL = embedded.url;
}
