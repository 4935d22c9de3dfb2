#!/usr/bin/env node
// Checked before anything else loads: on an older Node the dependencies fail at import time
// with errors that read like a bug in mcp-fleet.
import { nodeProblem } from './node-check.js';

const problem = nodeProblem();
if (problem) {
  process.stderr.write(problem);
  process.exitCode = 2;
} else {
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(process.argv);
}
