import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signatureHeader } from '../src/webhooks/webhook-signature.js';

/** The README's receiver-side verification, run as written (plain Node.js), against what the API sends. */
describe("README's webhook signature example", () => {
  it('accepts the API’s signatures by either secret in force, and refuses a wrong secret, a changed body and an old t', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Webhooks'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain('export function verifyStreamlySignature');

    const body = JSON.stringify({ id: 'e', type: 'stream.live', data: { stream: { id: 1, note: 'ünïcode' } } });
    const [current, previous] = ['whsec_current_secret_for_the_readme_test', 'whsec_previous_secret_for_the_readme_test'];
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      [body, signatureHeader(body, [current, previous], now), [current]],
      [body, signatureHeader(body, [current, previous], now), [previous]],
      [body, signatureHeader(body, [current], now), ['whsec_wrong']],
      [`${body} `, signatureHeader(body, [current], now), [current]],
      [body, signatureHeader(body, [current], now - 301), [current]],
      [body, undefined, [current]],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'streamly-readme-'));
    try {
      writeFileSync(
        join(dir, 'check.mjs'),
        `${snippet}\nconst cases = JSON.parse(process.argv[2]);\nprocess.stdout.write(JSON.stringify(cases.map(([raw, header, secrets]) => verifyStreamlySignature(Buffer.from(raw), header ?? undefined, secrets))));\n`,
      );
      const output = execFileSync(process.execPath, [join(dir, 'check.mjs'), JSON.stringify(cases)], { encoding: 'utf8' });
      expect(JSON.parse(output)).toEqual([true, true, false, false, false, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
