// The typed client for the frontend, generated from the app's own OpenAPI document.
//   node scripts/client.mjs generate   writes clients/openapi.json and clients/typescript/schema.ts
//   node scripts/client.mjs check      generates into a temporary folder and fails (exit 1) when
//                                      the committed files differ from what the code generates now
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES = [
  { committed: 'clients/openapi.json', name: 'openapi.json' },
  { committed: 'clients/typescript/schema.ts', name: 'schema.ts' },
];

const mode = process.argv[2];
if (mode !== 'generate' && mode !== 'check') {
  console.error('usage: node scripts/client.mjs generate|check');
  process.exit(2);
}

const node = (args) => execFileSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });

node(['scripts/build-if-changed.mjs']);
const out = mkdtempSync(join(tmpdir(), 'streamly-client-'));
try {
  // The document /docs-json serves, built without a database (Nest's preview mode).
  node(['--no-warnings', 'dist/src/openapi.cli.js', join(out, 'openapi.json')]);
  node([
    'node_modules/openapi-typescript/bin/cli.js',
    join(out, 'openapi.json'),
    '--output',
    join(out, 'schema.ts'),
    '--silent',
    '--default-non-nullable=false',
  ]);

  if (mode === 'generate') {
    for (const file of FILES) copyFileSync(join(out, file.name), file.committed);
    console.log(`Wrote ${FILES.map((file) => file.committed).join(' and ')}`);
  } else {
    const stale = FILES.filter((file) => readOrEmpty(file.committed) !== readFileSync(join(out, file.name), 'utf8'));
    if (stale.length > 0) {
      for (const file of stale) {
        spawnSync('git', ['--no-pager', 'diff', '--no-index', '--', file.committed, join(out, file.name)], { stdio: 'inherit' });
      }
      console.error(
        `The committed client is not what the code generates: ${stale.map((file) => file.committed).join(', ')}. Run \`npm run client:generate\` and commit the result.`,
      );
      process.exitCode = 1;
    } else {
      console.log('The committed client matches the OpenAPI document the code generates.');
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
