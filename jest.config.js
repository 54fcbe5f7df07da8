// One module setup for app and tests: the package is ESM ("type": "module"), so
// Jest runs with --experimental-vm-modules and ts-jest's ESM preset. Type checking
// is done once by `tsc --noEmit` (npm run typecheck), so ts-jest only transpiles.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testTimeout: 60000,
};
