/**
 * ESM jest (Nest 12 is ESM-only): run with --experimental-vm-modules, ts-jest in ESM
 * mode, and `.js` stripped from relative imports so ts-jest finds the .ts source.
 * Type checking is `npm run typecheck`; here we only transpile, for speed.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
    // CommonJS packages that require() ESM-only Nest 12 (see test/support/cjs-to-esm.transform.js).
    '/node_modules/@nestjs/throttler/.+\\.js$': '<rootDir>/test/support/cjs-to-esm.transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/throttler/)'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 60_000,
  // Real servers and pools: fail loudly rather than hang if something is left open.
  forceExit: false,
};
