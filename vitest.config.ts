import { defineConfig } from 'vitest/config';

// Each package keeps its own vitest.config.ts; `pnpm test` runs them all.
export default defineConfig({
  test: {
    projects: ['*/vitest.config.ts', 'tests/ship/vitest.config.ts'],
  },
});
