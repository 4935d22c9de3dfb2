import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    cli: 'src/cli/main.ts',
    'localhost-resolver': 'src/util/localhost-resolver.ts',
    // For upstream authors (`mcp-fleet/upstream-verifier`, see package.json exports): no dependencies.
    'upstream-verifier': 'templates/upstream-verifier/verify.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node22',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  // Dependencies stay external: wrangler and miniflare ship native binaries and must be resolved at run time.
  skipNodeModulesBundle: true,
});
