import { defineConfig } from 'vitest/config';

// In-process tests: the Hono app through app.request() with the in-memory stores.
export default defineConfig({
  test: {
    name: 'edge',
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
