// ESLint flat config: typescript-eslint's type-checked rules, Prettier owns formatting, and
// eslint-plugin-boundaries enforces the import directions of the architecture notes ("Which way
// imports point"; the rules in words: docs/development.md). `npm run lint`, `npm run lint:fix`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import boundaries from 'eslint-plugin-boundaries';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Folders every feature may use; they import no feature. */
const GROUND_FLOOR = ['config', 'database', 'common', 'logging', 'metrics', 'docs'];
/** One folder per feature. */
const FEATURES = ['users', 'auth', 'streams', 'ingest', 'webhooks'];
/** Which feature may use which (ARCHITECTURE.md): no cycles, and nothing uses ingest, health or webhooks. */
const FEATURE_USES = {
  auth: ['users', 'streams'], // account deletion removes the user's streams
  ingest: ['streams'],
  webhooks: ['streams'],
};
/** What a feature shows the others: its module, services, repositories, entities and DTOs. Never controllers or migrations. */
const PUBLIC_FILES = ['*.module.ts', '*.service.ts', '*.repository.ts', '*.entity.ts', 'dto/**'];

const boundariesConfig = {
  files: ['src/**/*.ts'],
  plugins: { boundaries },
  settings: {
    // Resolve `./x.js` imports to the `.ts` sources, as TypeScript does under nodenext.
    'import/resolver': { typescript: { project: './tsconfig.json' } },
    'boundaries/include': ['src/**/*.ts'],
    'boundaries/dependency-nodes': ['import', 'dynamic-import', 'export'],
    // main.ts, app.module.ts, app.schema.ts, app.setup.ts, bootstrap.ts, *.cli.ts: the composition roots.
    'boundaries/files': [{ category: 'app', pattern: 'src/*.ts' }],
    'boundaries/elements': [
      ...GROUND_FLOOR.map((name) => ({ type: `ground:${name}`, pattern: `src/${name}` })),
      { type: 'health', pattern: 'src/health' },
      ...FEATURES.map((name) => ({ type: `feature:${name}`, pattern: `src/${name}` })),
    ],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        checkUnknownLocals: true,
        policies: [
          // The composition roots wire everything together.
          { from: { file: { categories: 'app' } }, allow: [{ to: { element: { type: '*' } } }, { to: { file: { categories: 'app' } } }] },
          // Everyone may use the ground floor (except its controllers: nothing imports a controller).
          { from: { element: { type: '*' } }, allow: { to: { element: { type: 'ground:*' } } } },
          // A feature uses another only through what that one shows.
          ...Object.entries(FEATURE_USES).map(([feature, uses]) => ({
            from: { element: { type: `feature:${feature}` } },
            allow: { to: { element: { types: uses.map((used) => `feature:${used}`), fileInternalPath: PUBLIC_FILES } } },
          })),
          { from: { element: { type: '*' } }, disallow: { to: { element: { fileInternalPath: '**/*.controller.ts' } } } },
        ],
      },
    ],
  },
};

export default defineConfig(
  { ignores: ['**/dist/**', 'coverage/**', '.data/**', 'node_modules/**', 'clients/typescript/schema.ts', 'bench/results/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // Files with decorators are skipped (the rule reads emitDecoratorMetadata from tsconfig):
        // Nest reads constructor parameter types at run time, and an injected class imported
        // with `import type` would become `Object`.
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // `_name` marks a parameter kept for its position (Nest and Fastify handler signatures).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Plain JavaScript (this file, scripts, jest setup): no type information.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  boundariesConfig,
  // Last: turn off every rule that would fight Prettier.
  prettier,
);
