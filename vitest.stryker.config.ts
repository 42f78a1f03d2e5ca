/**
 * The tests `npm run mutate` runs: the ones that mirror the mutated code. Chosen
 * here rather than with Stryker's `testFiles`, which activates module-level
 * (static) mutants too late with the vitest runner (stryker-js#6144).
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/domain/**/*.test.ts',
      'test/workflow/**/*.test.ts',
      'test/store/**/*.test.ts',
      // the delivery worker (src/workflow/delivery.ts) against Slack's real answers
      'test/slack/delivery.test.ts',
      // breakglass migrate (src/store/sqlite-to-dynamodb.ts) and init-table, over dynalite
      'test/cli/store-commands.test.ts',
    ],
  },
});
