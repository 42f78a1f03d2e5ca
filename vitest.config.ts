import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'infra/test/**/*.test.ts'],
    testTimeout: 20_000,
    // Tests start local fake servers on ephemeral ports; files run in parallel workers.
    pool: 'forks',
  },
});
