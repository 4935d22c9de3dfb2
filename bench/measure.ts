import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs one child process and measures it: wall time from spawn to the close of its output, and
 * optionally its peak resident memory. No table or statistics here (see report.ts).
 */

/** How peak memory is read: GNU time's %M (max RSS in KB, from wait4), or polling /proc/<pid>/status VmHWM. */
export type MemoryMethod = 'gnu-time' | 'proc-vmhwm';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (an empty stdin when absent). */
  input?: string;
  timeoutMs?: number;
  /** Measure peak RSS this way (costs nothing measurable for gnu-time; a 5 ms poll for proc-vmhwm). */
  memory?: MemoryMethod;
}

export interface RunResult {
  ms: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last 64 KB of each stream. */
  stdout: string;
  stderr: string;
  peakRssKb: number | undefined;
}

const KEEP_BYTES = 64 * 1024;

/** Children running now, so an interrupted bench can stop exactly the processes it started. */
const active = new Set<ChildProcess>();

/** SIGTERM to every child this module started that is still running. */
export function killActiveChildren(): void {
  for (const child of active) child.kill('SIGTERM');
}
const GNU_TIME = '/usr/bin/time';

/** gnu-time when /usr/bin/time understands `-f %M`, else proc-vmhwm on Linux, else undefined. */
export function detectMemoryMethod(): MemoryMethod | undefined {
  if (existsSync(GNU_TIME)) {
    const probe = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
    if (probe.status === 0 && /^\d+\s*$/m.test(probe.stderr.trim().split('\n').pop() ?? '')) return 'gnu-time';
  }
  if (existsSync('/proc/self/status')) return 'proc-vmhwm';
  return undefined;
}

export async function runTimed(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  let timeFile: string | undefined;
  let scratch: string | undefined;
  let command = file;
  let argv = [...args];
  if (options.memory === 'gnu-time') {
    scratch = await mkdtemp(join(tmpdir(), 'mcp-fleet-bench-time-'));
    timeFile = join(scratch, 'rss');
    command = GNU_TIME;
    argv = ['-o', timeFile, '-f', '%M', file, ...args];
  }
  try {
    const result = await spawnAndWait(command, argv, options);
    if (timeFile) {
      const text = await readFile(timeFile, 'utf8').catch(() => '');
      // GNU time writes "Command exited with non-zero status N" before the format when the child fails.
      const last = text.trim().split('\n').pop() ?? '';
      result.peakRssKb = /^\d+$/.test(last) ? Number(last) : undefined;
    }
    return result;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

function spawnAndWait(command: string, argv: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    active.add(child);
    const out = tail();
    const err = tail();
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.stdin.on('error', () => undefined); // a child that exits without reading stdin
    child.stdin.end(options.input ?? '');

    let peak: number | undefined;
    let poll: NodeJS.Timeout | undefined;
    if (options.memory === 'proc-vmhwm' && child.pid !== undefined) {
      const path = `/proc/${child.pid}/status`;
      const sample = () => {
        try {
          const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(path, 'utf8'));
          if (match) peak = Math.max(peak ?? 0, Number(match[1]));
        } catch {
          // gone already
        }
      };
      sample();
      poll = setInterval(sample, 5);
    }

    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;

    child.on('error', (error) => {
      active.delete(child);
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      active.delete(child);
      const ms = performance.now() - started;
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ ms, exitCode, signal, timedOut, stdout: out.text(), stderr: err.text(), peakRssKb: peak });
    });
  });
}

function tail(): { push: (chunk: Buffer) => void; text: () => string } {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > KEEP_BYTES && chunks.length > 1) size -= chunks.shift()!.length;
    },
    text() {
      const all = Buffer.concat(chunks).toString('utf8');
      chunks = [];
      return all.length > KEEP_BYTES ? all.slice(-KEEP_BYTES) : all;
    },
  };
}

/** A short reason for a failed run: the exit and the last lines of its output. */
export function describeFailure(result: RunResult): string {
  const how = result.timedOut ? 'timed out' : result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
  const lines = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return `${how}${lines.length ? `: ${lines.slice(-3).join(' | ')}` : ''}`;
}
