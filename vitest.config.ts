import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'infra/test/**/*.test.ts'],
    // Stryker's sandboxes hold a copy of the tests: never run them from here.
    exclude: [...configDefaults.exclude, '.stryker-tmp/**', 'reports/**'],
    testTimeout: 20_000,
    // Tests start local fake servers on ephemeral ports; files run in parallel workers.
    pool: 'forks',
    // The SDK's notice that 2027 releases need Node 22 is documented in the README, not repeated per test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
