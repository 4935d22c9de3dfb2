import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Building the worker (wrangler) and starting workerd take seconds, more on a busy CI machine.
    hookTimeout: 120_000,
    testTimeout: 30_000,
  },
});
