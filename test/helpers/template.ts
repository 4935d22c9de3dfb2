import { join } from 'node:path';
import { execa } from 'execa';
import { initProject, TEMPLATE_COMPATIBILITY_DATE } from '../../src/ops/project/init.js';
import { repoRoot } from './cli.js';

export const templateDir = join(repoRoot, 'templates', 'project');

/** A date the bundled workerd supports; tests pin it so they never depend on the clock. */
export const TEST_COMPATIBILITY_DATE = TEMPLATE_COMPATIBILITY_DATE;

export interface ScaffoldOptions {
  compatibilityDate?: string;
}

/** Scaffolds templates/project into `dir` with `init`'s own code; it does not link node_modules. */
export async function scaffoldTemplateProject(dir: string, name: string, options: ScaffoldOptions = {}): Promise<void> {
  await initProject({ dir, name, adopt: false, deps: 'none', compatibilityDate: options.compatibilityDate });
}

export interface BundleResult {
  exitCode: number;
  /** stdout + stderr; wrangler prints its bindings table there. */
  output: string;
  /** The bundled ES module wrangler wrote (`<outdir>/index.js`). */
  entry: string;
}

/**
 * Bundles a scaffolded project exactly as a deploy would (`wrangler deploy
 * --dry-run`), without network or account. The project needs node_modules
 * (see linkNodeModules).
 */
export async function bundleProject(dir: string, outdir: string, options: { env?: string } = {}): Promise<BundleResult> {
  const args = ['deploy', '--dry-run', '--outdir', outdir, ...(options.env ? ['--env', options.env] : [])];
  const result = await execa(process.execPath, [join(dir, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), ...args], {
    cwd: dir,
    env: { CI: '1', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
    all: true,
    reject: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, output: String(result.all), entry: join(outdir, 'index.js') };
}

/**
 * Source of an ES module that wraps a bundled worker (`./index.js` next to it)
 * so a test can read its Analytics Engine data points: miniflare's local
 * dataset binding accepts writes and drops them. The wrapper hands the worker
 * an ANALYTICS binding that collects points, then posts them to the
 * ANALYTICS_SINK service binding (a Node handler) before the response is
 * returned, so a test sees the point as soon as it has the response.
 * With ANALYTICS_THROWS set, the binding throws instead.
 */
export const ANALYTICS_HARNESS_MODULE = `
import worker from './index.js';
export default {
  async fetch(request, env, ctx) {
    const { ANALYTICS_SINK, ANALYTICS_THROWS, ...rest } = env;
    const points = [];
    if (ANALYTICS_SINK) rest.ANALYTICS = { writeDataPoint(point) { points.push(point); } };
    if (ANALYTICS_THROWS) rest.ANALYTICS = { writeDataPoint() { throw new Error('analytics unavailable'); } };
    const response = await worker.fetch(request, rest, ctx);
    if (ANALYTICS_SINK && points.length > 0) {
      await ANALYTICS_SINK.fetch('http://analytics-sink/', { method: 'POST', body: JSON.stringify(points) });
    }
    return response;
  },
};
`;
