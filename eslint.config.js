// ESLint (typescript-eslint, flat config) over the TypeScript: `npm run lint`.
// A small, deliberate rule set: typescript-eslint's `recommended` (syntax-only, fast) plus
// two type-aware rules that catch real bugs in a runner built on child processes and
// signals: a promise nobody awaits (a subprocess error lost, exit before cleanup) and a
// promise passed where a plain callback is expected (an async signal/event handler whose
// rejection nobody sees). Type information comes from tsconfig.json via the project
// service; the stylistic and `strict` sets are left out on purpose (tsc --strict already
// covers types, and style is not worth churn across parallel branches).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'cdktf.out/', '.gen/', 'coverage/', 'dist/', '.venv/', '.venv-tools/', 'runs/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name` marks a parameter or binding kept on purpose (tsc's noUnused* agree).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
