import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATEMENT_NAMES } from '../src/database/statement-timing.js';

/** Every `sql.query('name', …)` in src/ names a statement on the bounded list, so none is silently counted as `other`. */
describe('statement names', () => {
  it('every name a repository gives Sql.query / ReadReplica.query is on STATEMENT_NAMES', () => {
    const source = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? source(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
      );
    const used = new Set<string>();
    for (const file of source(join(import.meta.dirname, '..', 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:sql|reads|replica)\.query(?:<[^()]*?>)?\(\s*'([a-z_]+)'/g))
        used.add(match[1]);
    }
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((name) => !(STATEMENT_NAMES as readonly string[]).includes(name))).toEqual([]);
  });
});
