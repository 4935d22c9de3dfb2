// Runs this project's wrangler with usage metrics off: every npm script that starts wrangler
// goes through here (`node scripts/wrangler.js <args>`, or runWrangler from another script).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project's root: scripts run from there whatever the caller's directory. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** The wrangler in node_modules, run with this Node (no shell, no npx lookup). */
export function wranglerPath() {
  const pkg = createRequire(import.meta.url).resolve('wrangler/package.json');
  return join(dirname(pkg), 'bin', 'wrangler.js');
}

/**
 * The environment wrangler runs with: the caller's, with metrics off.
 * @param {Record<string, string>} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
export function wranglerEnv(extra = {}) {
  return { ...process.env, WRANGLER_SEND_METRICS: 'false', ...extra };
}

/**
 * Runs wrangler in the terminal and resolves to its exit code. Ctrl-C reaches wrangler itself
 * (same process group); this process waits for it to finish instead of dying first.
 * @param {string[]} args
 * @returns {Promise<number>}
 */
export function runWrangler(args) {
  const child = spawn(process.execPath, [wranglerPath(), ...args], { cwd: projectRoot, env: wranglerEnv(), stdio: 'inherit' });
  const forward = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`cannot start wrangler: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runWrangler(process.argv.slice(2));
}
