import { join } from 'node:path';
import type { HttpCheckTool } from './baselines.ts';
import { repoRoot, wranglerBin } from './fleet.ts';
import { describeFailure, type MemoryMethod, runTimed } from './measure.ts';
import { notAvailable, type Row, type Side } from './report.ts';

/** The start-up rows (time and peak memory against wrangler's), and the rows of groups that cannot run. */

/** What each baseline runs (the table's "baseline" column). */
export const LABELS = {
  deployLoop: 'wrangler deploy --env C, each client in turn',
  putLoop: 'wrangler secret put K --env C, each key in turn',
  bulkLoop: 'wrangler secret bulk F --env C, each client in turn',
  checks: (tool: HttpCheckTool) => `${tool === 'curl' ? 'curl' : 'Node fetch'} /health, /ready, /mcp, each client in turn`,
  wranglerVersion: 'wrangler --version',
};

export async function startupRows(
  runs: number,
  clientCount: number,
  projectDir: string,
  env: NodeJS.ProcessEnv,
  memory: MemoryMethod | undefined,
): Promise<Row[]> {
  const commands = {
    wrangler: { label: 'wrangler --version', file: process.execPath, args: [wranglerBin, '--version'] },
    version: { label: 'mcp-fleet --version', file: process.execPath, args: [join(repoRoot, 'bin', 'mcp-fleet.js'), '--version'] },
    list: { label: 'mcp-fleet list', file: process.execPath, args: [join(repoRoot, 'bin', 'mcp-fleet.js'), '-C', projectDir, 'list'] },
  };
  const time: Record<keyof typeof commands, Side> = {
    wrangler: { label: commands.wrangler.label, samples: [], attempted: 0, failures: [] },
    version: { label: commands.version.label, samples: [], attempted: 0, failures: [] },
    list: { label: commands.list.label, samples: [], attempted: 0, failures: [] },
  };
  const rss: Record<keyof typeof commands, Side> = {
    wrangler: { ...time.wrangler, samples: [], failures: [] },
    version: { ...time.version, samples: [], failures: [] },
    list: { ...time.list, samples: [], failures: [] },
  };
  for (let round = 0; round < runs; round += 1) {
    for (const key of Object.keys(commands) as Array<keyof typeof commands>) {
      const command = commands[key];
      const result = await runTimed(command.file, command.args, { cwd: projectDir, env, memory, timeoutMs: 60_000 });
      time[key].attempted += 1;
      rss[key].attempted += memory ? 1 : 0;
      if (result.exitCode !== 0) {
        time[key].failures.push(`run ${round + 1}: ${describeFailure(result)}`);
        continue;
      }
      time[key].samples.push(result.ms);
      if (result.peakRssKb !== undefined) rss[key].samples.push(result.peakRssKb);
    }
  }
  const noMemory = (side: Side): Side => (memory ? side : notAvailable(side.label, 'no way to read peak memory on this machine'));
  return [
    { id: 'startup-version', operation: '--version: start-up time', unit: 'ms', baseline: time.wrangler, fleet: time.version },
    {
      id: 'startup-list',
      operation: `list (${clientCount} clients): start-up time`,
      unit: 'ms',
      baseline: time.wrangler,
      fleet: time.list,
    },
    { id: 'memory-version', operation: '--version: peak RSS', unit: 'KB', baseline: noMemory(rss.wrangler), fleet: noMemory(rss.version) },
    {
      id: 'memory-list',
      operation: `list (${clientCount} clients): peak RSS`,
      unit: 'KB',
      baseline: noMemory(rss.wrangler),
      fleet: noMemory(rss.list),
    },
  ];
}

export function unavailableRows(group: 'deploy' | 'secrets' | 'verify', tool: HttpCheckTool, reason: string): Row[] {
  const na = (label: string) => notAvailable(label, reason);
  switch (group) {
    case 'deploy':
      return [
        {
          id: 'deploy-changed',
          operation: 'deploy --all, source changed',
          unit: 'ms',
          baseline: na(LABELS.deployLoop),
          fleet: na('mcp-fleet deploy --all --local'),
        },
        {
          id: 'deploy',
          operation: 'deploy --all, same code',
          unit: 'ms',
          baseline: na(LABELS.deployLoop),
          fleet: na('mcp-fleet deploy --all --local'),
        },
      ];
    case 'secrets':
      return [
        {
          id: 'secrets-put',
          operation: 'secrets push --all',
          unit: 'ms',
          baseline: na(LABELS.putLoop),
          fleet: na('mcp-fleet secrets push --all --local'),
        },
        {
          id: 'secrets-bulk',
          operation: 'secrets push --all',
          unit: 'ms',
          baseline: na(LABELS.bulkLoop),
          fleet: na('mcp-fleet secrets push --all --local'),
        },
      ];
    case 'verify':
      return [
        {
          id: 'verify',
          operation: 'verify --all',
          unit: 'ms',
          baseline: na(LABELS.checks(tool)),
          fleet: na('mcp-fleet verify --all --local'),
        },
      ];
  }
}
