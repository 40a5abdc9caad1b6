import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'inference',
    include: ['src/**/*.test.ts'],
    // One ONNX session per test file is plenty on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
