// @ts-check
// typescript-eslint's type-aware recommended rules over the TypeScript of every workspace, the
// shared test helpers and the benchmarks; plain recommended rules over the JavaScript scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'apps/api/src/generated/**', 'libs/crypto/build/**', 'coverage/**', 'bench/out/**', 'data/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // One program for everything (tsconfig.test.json includes sources, tests and benchmarks).
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring away a field, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Noise here: `async` without `await` is how this code makes a throw a rejection and fits an
      // async-shaped interface (object stores, Nest handlers, test doubles).
      '@typescript-eslint/require-await': 'off',
      // File names and terminal output are checked for control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // The browser pages and their tests: their own program (DOM types, JSX for Preact),
    // apps/web/tsconfig.json (pages, Vite config) and apps/web/tsconfig.test.json (pages and tests).
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.tsx', 'apps/web/test/**/*.ts', 'apps/web/vite.config.mts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: ['./apps/web/tsconfig.json', './apps/web/tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Not part of tsconfig.test.json's program (the Prisma CLI loads it by itself).
    files: ['prisma.config.ts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.spec.ts', '**/*.medium-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'test/**/*.ts'],
    rules: {
      // Tests read JSON answers, build test doubles and use jest's `expect.any`/`expect.objectContaining`: `any` by nature.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // `expect(mock.method).toHaveBeenCalled()` passes methods unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }] },
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', WebAssembly: 'readonly', performance: 'readonly', AbortController: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' },
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);
