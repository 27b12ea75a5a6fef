import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Jest transform for CommonJS packages that `require()` Nest 12's ESM-only packages
 * (here @nestjs/throttler 6). Node 20 runs them natively (require(esm)), but Jest's
 * own module loader supports require(esm) only on Node 24.9+. This rewrites such a
 * file into an ES module (requires become imports, `exports.x` become named
 * exports); Jest loads unmarked `.js` files with ESM syntax as ESM, so the package
 * then shares the one @nestjs/common instance with the app. Test-only: production
 * loads the package untouched.
 */
const SELF = readFileSync(fileURLToPath(import.meta.url));

function process(source, filename) {
  const specifiers = [...new Set([...source.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]))];
  const imports = specifiers.map(
    (specifier, index) => `import * as __dep${index} from ${JSON.stringify(resolveRelative(specifier, filename))};`,
  );
  const table = specifiers.map((specifier, index) => `${JSON.stringify(specifier)}: __dep${index}`).join(', ');

  const reexported = new Set([...source.matchAll(/__exportStar\(require\("([^"]+)"\), exports\)/g)].map((match) => match[1]));
  const names = new Set([
    ...[...source.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)].map((match) => match[1]),
    ...[...source.matchAll(/Object\.defineProperty\(exports, "([A-Za-z_$][\w$]*)"/g)].map((match) => match[1]),
  ]);
  names.delete('__esModule');
  names.delete('default');

  const code = [
    ...imports,
    `const __deps = { ${table} };`,
    // A converted sibling hands out its live CommonJS exports object; a real ES module its namespace.
    'const require = (id) => { const ns = __deps[id]; return ns.default && ns.default.__esModule ? ns.default : ns; };',
    'const module = { exports: {} };',
    'const exports = module.exports;',
    source.replace(/^"use strict";/, ''),
    'export default module.exports;',
    ...[...reexported].map((specifier) => `export * from ${JSON.stringify(resolveRelative(specifier, filename))};`),
    // Aliased, because the module body may declare a function of the same name.
    ...[...names].map((name, index) => `const __export${index} = module.exports.${name}; export { __export${index} as ${name} };`),
  ].join('\n');
  return { code };
}

function resolveRelative(specifier, filename) {
  if (!specifier.startsWith('.')) return specifier;
  return existsSync(join(dirname(filename), `${specifier}.js`)) ? `${specifier}.js` : specifier;
}

function getCacheKey(source, filename) {
  return createHash('sha256').update(SELF).update('\0').update(filename).update('\0').update(source).digest('hex');
}

export default { process, getCacheKey };
