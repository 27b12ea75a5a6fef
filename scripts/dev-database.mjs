// The embedded PostgreSQL of one `npm run start:dev` session (started by scripts/dev.mjs):
// the same persistent cluster `npm start` uses (DATA_DIR, default ./.data/postgres). Sends
// its URL to the parent, and stops when told to or when the parent is gone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../dist/src/config/app-config.js';
import { startEmbeddedPostgres } from '../dist/src/database/embedded-postgres.js';

const dataDir = join(loadConfig().dataDir, 'postgres');
if (!existsSync(join(dataDir, 'PG_VERSION'))) console.log(`[dev] first run: creating the PostgreSQL cluster in ${dataDir}`);
let database;
try {
  database = await startEmbeddedPostgres({
    dataDir,
    persistent: true,
    onUnexpectedExit: (message) => {
      console.error(`[dev] ${message}`);
      process.exit(1); // scripts/dev.mjs reports it
    },
  });
} catch (error) {
  console.error(`[dev] embedded PostgreSQL in ${dataDir}: ${error?.message ?? error}`);
  process.exit(1);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await database.stop();
  console.log('[dev] embedded PostgreSQL stopped');
  process.exit(0);
}
process.on('message', (message) => {
  if (message === 'stop') void stop(); // the exit above ends this process: nothing awaits it
});
process.on('disconnect', () => void stop()); // the parent died without telling us
process.send({ url: database.url });
