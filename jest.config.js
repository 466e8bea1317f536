/** Unit (*.spec.ts), integration (*.int-spec.ts), end-to-end (test/e2e/*.e2e-spec.ts) and browser
 * (test/browser/*.browser-spec.ts: Debian's chromium via playwright-core) tests.
 * `npm test` (scripts/test.mjs) starts PostgreSQL and Redis first and passes their URLs in the environment. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.(spec|int-spec|e2e-spec|browser-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/libs/sdk/dist/'],
  transform: { '^.+\\.[tj]s$': swc },
  // ESM-only packages required from CommonJS: jose 6, and content-disposition 3 nested under @fastify/static 10.
  transformIgnorePatterns: ['/node_modules/(?!(@fastify/static/node_modules/)?(jose|content-disposition)/)'],
  moduleNameMapper: { '^@app/(config|db|delivery|domain|queue|sdk|testing)$': '<rootDir>/libs/$1/src' },
  testTimeout: 30000,
};
