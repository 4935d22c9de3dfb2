import type { EdgeInfo } from '../local/lifecycle/edge-file.js';
import { commandLine, shellQuote } from '../util/next-step.js';
import type { Output } from './output.js';

/** Connection details without the token (the token is printed only by `local env`). */
export function publicInfo(info: EdgeInfo): Omit<EdgeInfo, 'token'> {
  const { token: _token, ...rest } = info;
  void _token;
  return rest;
}

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
