// `npm run start:dev`: `nest start --watch` rebuilds and restarts the app on every change,
// while the embedded PostgreSQL (when DATABASE_URL is unset) runs for the whole session in a
// process of its own (scripts/dev-database.mjs), so a reload neither re-runs initdb nor
// restarts the database. Ctrl-C stops the app first (it drains and closes its pool), then
// the database.
import { execFileSync, fork, spawn } from 'node:child_process';

const log = (message) => console.log(`[dev] ${message}`);
const nestBin = 'node_modules/@nestjs/cli/bin/nest.js';

// The database helper imports the built embedded-postgres module.
execFileSync(process.execPath, ['scripts/build-if-changed.mjs'], { stdio: 'inherit' });

let database;
let stopping = false;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  // Detached: the terminal's Ctrl-C reaches the app, not the database under it.
  database = fork('scripts/dev-database.mjs', { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise((resolve, reject) => {
    database.once('message', (message) => resolve(message.url));
    database.once('exit', (code) => reject(new Error(`the embedded PostgreSQL did not start (exit ${code})`)));
  }).catch((error) => {
    console.error(`[dev] ${error.message}`);
    process.exit(1);
  });
  env.DATABASE_URL = url;
  database.on('exit', (code) => {
    if (!stopping) log(`the embedded PostgreSQL exited (${code}); restart npm run start:dev`);
  });
  log(`embedded PostgreSQL kept running on ${new URL(url).host} across reloads; the app uses it as DATABASE_URL`);
}

// Its own process group, like the database: a terminal's Ctrl-C reaches only this script, which
// signals the CLI once; the CLI forwards it to the app. (Left in the terminal's group, the app
// would get Ctrl-C twice, directly and forwarded, and it reads a second signal as "exit now".)
// --no-shell: the CLI's child must be the app itself, not a `sh -c` that dies without it.
const nest = spawn(process.execPath, [nestBin, 'start', '--watch', '--preserveWatchOutput', '--no-shell'], {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit'],
  env,
});
const nestAlive = () => nest.exitCode === null && nest.signalCode === null;

function stop() {
  if (stopping) {
    // A second Ctrl-C: the app exits at once (its own rule for a second signal).
    if (nestAlive()) nest.kill('SIGTERM');
    return;
  }
  stopping = true;
  nest.kill('SIGTERM');
  // Nest CLI race: a compile that finishes while the app shuts down starts a new app, and the
  // CLI keeps running. Signal again later; the CLI forwards it to whichever app is running.
  setTimeout(() => nestAlive() && nest.kill('SIGTERM'), 10_000).unref();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
// Should this script die some other way, do not leave the app running in its own group.
process.on('exit', () => nestAlive() && process.kill(-nest.pid, 'SIGTERM'));

nest.on('exit', (code, signal) => {
  const status = code ?? (signal ? 1 : 0);
  if (!database || database.exitCode !== null) process.exit(status);
  log('app stopped; stopping the embedded PostgreSQL');
  database.once('exit', () => process.exit(status));
  database.send('stop');
});
