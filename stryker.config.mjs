/**
 * Mutation testing (`npm run mutate`): not part of `npm test` or CI.
 * Mutates the pure core, the workflow and the store, and runs the tests that
 * mirror them. The end-to-end suites are left out: they drive the bot through
 * HTTP and child processes, where Stryker cannot switch mutants on, and would
 * multiply the run time without killing more.
 *
 * Iterate on one file with e.g. `npm run mutate -- --mutate src/domain/request.ts --concurrency 1`.
 */
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  mutate: ['src/domain/**/*.ts', 'src/workflow/**/*.ts', 'src/store/**/*.ts'],
  vitest: { configFile: 'vitest.stryker.config.ts' },
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { reportTests: false, logTests: false },
  // The machine is shared: two workers at most.
  concurrency: 2,
  // Tests start fake AWS servers; a busy machine slows them down.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  // Stryker rewrites tsconfig paths that leave the sandbox through TypeScript's JS API, which
  // TypeScript 7 no longer has. Ours only extends a package, so there is nothing to rewrite:
  // point the option at a file that does not exist and the rewrite is skipped.
  tsconfigFile: 'tsconfig.stryker-skips-rewrite.json',
};
