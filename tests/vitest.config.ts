import { defineConfig } from 'vitest/config';

// End-to-end tests through workerd (wrangler dev) against the real local stack, started once per
// run by the global setup. Files run one at a time: they share one gateway and its limits.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['e2e/**/*.test.ts', 'unit/**/*.test.ts'],
    globalSetup: ['./support/global-setup.ts'],
    setupFiles: ['./support/fresh-connections.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
