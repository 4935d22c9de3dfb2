import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Files are independent (each has its own temp dirs and its own edge), so they run in parallel.
    fileParallelism: true,
    pool: 'forks',
    // Most of a file's time is spent waiting on workerd, wrangler and the edge, not on a core: on
    // 2 cores the default (one file at a time) took 587 s for the suite, 3 at once 370 s.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Files run in a shuffled order, so which files share the machine changes from run to run and a
    // file that needs another to have run first fails. Vitest prints the seed at the top ("Running
    // tests with seed …"); `npx vitest run --sequence.seed=<seed>` replays that order. Tests within a
    // file keep their order: some files tell one story (v1-fleet deploys, verifies, rotates, migrates).
    sequence: { shuffle: { files: true, tests: false } },
    // @actions/workflow-parser imports its schema JSON without `with { type: 'json' }`, which Node
    // refuses; bundled by Vite, the import works (test/cli/ci-workflow.test.ts validates with it).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
