import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { cli: 'src/cli/main.ts', 'localhost-resolver': 'src/util/localhost-resolver.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node22',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  // Dependencies stay external: wrangler and miniflare ship native binaries and must be resolved at run time.
  skipNodeModulesBundle: true,
});
