import type { EdgeInfo } from '../local/lifecycle/edge-file.js';
import { commandLine, shellQuote } from '../util/next-step.js';
import type { Output } from './output.js';

export function printEnv(output: Output, env: Record<string, string>): void {
  output.info(
    `export ${Object.entries(env)
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join(' ')}`,
  );
}

export function printConnection(output: Output, info: EdgeInfo, hint: { nodeOptions: string }): void {
  output.info(`# workers answer at ${info.workerUrlTemplate}${info.workerPathUrlTemplate ? ` (or ${info.workerPathUrlTemplate})` : ''}`);
  output.info(`# Node clients (e.g. the MCP Inspector) resolve *.localhost with: NODE_OPTIONS="${hint.nodeOptions}"`);
}

export function edgeNotRunning(stalePid: number | undefined, stale: boolean): string[] {
  return [
    stale ? `local edge not running (edge.json names pid ${stalePid}, which is gone or is not this edge)` : 'local edge not running',
    `Start it with: ${commandLine('local', 'start', '--detach')}`,
  ];
}

/** Said when `local start` makes the edge the project's target. */
export function rememberedNote(): string {
  return `# this project's commands now act on the local edge, without --local, until ${commandLine('local', 'stop')} (--remote acts on Cloudflare)`;
}

/** Said when the edge is down but the project still targets it: nothing falls back to Cloudflare unasked. */
export function stillRememberedNote(): string {
  return `# this project's commands still act on the local edge: start it again with ${commandLine('local', 'start', '--detach')}, or act on Cloudflare again with ${commandLine('local', 'stop')}`;
}
