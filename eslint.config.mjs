// Lint backs the house rules in CONTRIBUTING.md: no forwardRef, no app-to-app or deep lib imports,
// process.env only in libs/config, Prisma only in libs/db, no floating promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const restrictedImports = (extra = []) => [
  'error',
  {
    patterns: [
      { group: ['@app/*/src', '@app/*/src/*'], message: 'Import a lib through its index: @app/<lib>.' },
      { group: ['**/libs/*/src/*'], message: 'Import a lib through its index: @app/<lib>.' },
      ...extra,
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='forwardRef']",
          message: 'Untangle the module cycle instead.',
        },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through @app/config (AppConfig).',
        },
      ],
      'no-restricted-imports': restrictedImports([
        {
          group: ['@prisma/client', '@prisma/*'],
          message: 'Only libs/db talks to Prisma; use a repository.',
        },
      ]),
    },
  },
  {
    files: ['apps/api/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictedImports([
        { group: ['**/worker/**', '@prisma/*'], message: 'Apps do not import each other or Prisma.' },
      ]),
    },
  },
  {
    files: ['apps/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictedImports([
        { group: ['**/api/**', '@prisma/*'], message: 'Apps do not import each other or Prisma.' },
      ]),
    },
  },
  {
    files: ['libs/db/**/*.ts', 'prisma.config.ts'],
    rules: { 'no-restricted-imports': restrictedImports() },
  },
  {
    files: ['libs/config/**/*.ts', 'prisma.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Tests build their own world: they may read the environment npm test prepared and use loose types.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The CLI is a client program reading its own settings (HOOKRELAY_URL, …), in this one file.
    files: ['apps/cli/src/environment.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['apps/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictedImports([
        {
          group: ['**/api/**', '**/worker/**', '@prisma/*'],
          message: 'The CLI talks to Hookrelay over HTTP only.',
        },
      ]),
    },
  },
  {
    // The web app runs in browsers: their globals, and no Node-only rules (it has no process.env anyway).
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx', 'apps/web/**/*.mts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node } },
  },
  {
    // Set-up scripts run before anything is installed and pass the environment on to what they start.
    files: ['scripts/**', 'jest.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // SDK scenarios are separate processes that an e2e spec starts with the server's URL and key in their
    // environment, as a user's own program would be configured.
    files: ['test/sdk-scenarios/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  prettier,
);
