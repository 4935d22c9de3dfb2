import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Files are independent (each has its own temp dirs and its own edge), so they run in parallel.
    fileParallelism: true,
    pool: 'forks',
  },
});
