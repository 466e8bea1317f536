/** The chaos suite (test/chaos/*.chaos-spec.ts): run by `npm run test:chaos` (scripts/test-chaos.mjs), which
 * starts PostgreSQL and Redis, builds the apps and passes the servers' URLs and ports in the environment.
 * One scenario at a time, in file-name order: they kill and stop shared servers. */
import base from './jest.config.js';

export default {
  ...base,
  testRegex: 'test/chaos/.*\\.chaos-spec\\.ts$',
  testSequencer: '<rootDir>/test/chaos/support/by-name.sequencer.js',
  maxWorkers: 1,
  // Each scenario bounds its own waits with deadlines; this only catches a hung harness.
  testTimeout: 600_000,
};
