import { defineConfig } from 'vitest/config';

// Deployment artefacts: the container entrypoint and health check, the Workers environments,
// the GitHub Actions workflows, the registry migration.
export default defineConfig({
  test: {
    name: 'ship',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Each file starts real processes (the service, wrangler, PostgreSQL); one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
