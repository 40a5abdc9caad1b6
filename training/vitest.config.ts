import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'training',
    include: ['src/**/*.test.ts'],
    // Reading the bundled corpora and fitting heads take seconds on a 2-core machine.
    testTimeout: 60_000,
  },
});
