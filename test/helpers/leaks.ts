import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Collects everything a secret must never appear in during a test file — each command's stdout and
 * stderr, the files under `.mcp-fleet/logs` (ours and wrangler's), the argv mcp-fleet records for
 * its children (MCP_FLEET_CHILD_LOG), and the command line of every process on the machine, read
 * from /proc while commands run — and, at the end, searches all of it for every secret value the
 * test has seen (each value of every `.secrets.<client>` file at any point, plus any it adds).
 */
export class LeakWatch {
  private readonly secrets = new Map<string, string>();
  private readonly texts: { where: string; text: string }[] = [];
  private readonly cmdlines = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly childLogs = new Set<string>();
  private readonly projectDirs = new Set<string>();
  polls = 0;

  /** A value that must not leak; `label` names it in failure messages instead of the value. */
  addSecret(value: string, label: string): void {
    if (value.length >= 8 && !this.secrets.has(value)) this.secrets.set(value, label);
  }

  /** Reads every `.secrets.<client>` file of the project and watches its values. */
  async addSecretsOf(projectDir: string): Promise<void> {
    this.projectDirs.add(projectDir);
    for (const name of await readdir(projectDir)) {
      if (!name.startsWith('.secrets.') || name === '.secrets.template') continue;
      const text = await readFile(join(projectDir, name), 'utf8');
      for (const line of text.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0 && !line.trimStart().startsWith('#')) this.addSecret(line.slice(eq + 1), `${name}:${line.slice(0, eq)}`);
      }
    }
  }

  record(where: string, text: string): void {
    this.texts.push({ where, text });
  }

  /** The file mcp-fleet appends child argv to, as MCP_FLEET_CHILD_LOG. */
  childLog(path: string): string {
    this.childLogs.add(path);
    return path;
  }

  /** Polls /proc/<pid>/cmdline of every process every few milliseconds. */
  startPolling(intervalMs = 20): void {
    const poll = (): void => {
      this.polls++;
      let pids: string[];
      try {
        pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
      } catch {
        return;
      }
      for (const pid of pids) {
        try {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (cmdline !== '') this.cmdlines.add(cmdline.replaceAll('\0', ' '));
        } catch {
          // the process ended between readdir and read
        }
      }
    };
    this.timer = setInterval(poll, intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Where each secret was found (labels, never values); empty when nothing leaked. */
  async findLeaks(): Promise<{
    corpus: { texts: number; logFiles: number; childArgv: number; cmdlines: number; secrets: number };
    leaks: string[];
  }> {
    for (const dir of this.projectDirs) await this.addSecretsOf(dir).catch(() => undefined);
    const corpus: { where: string; text: string }[] = [...this.texts];
    let logFiles = 0;
    for (const dir of this.projectDirs) {
      for (const file of await filesUnder(join(dir, '.mcp-fleet', 'logs'))) {
        corpus.push({ where: file, text: await readFile(file, 'utf8') });
        logFiles++;
      }
    }
    let childArgv = 0;
    for (const path of this.childLogs) {
      const text = await readFile(path, 'utf8').catch(() => '');
      childArgv += text.split('\n').filter(Boolean).length;
      corpus.push({ where: `child argv (${path})`, text });
    }
    for (const cmdline of this.cmdlines) corpus.push({ where: 'a process command line', text: cmdline });
    const leaks: string[] = [];
    for (const [secret, label] of this.secrets) {
      for (const { where, text } of corpus) if (text.includes(secret)) leaks.push(`${label} found in ${where}`);
    }
    return { corpus: { texts: this.texts.length, logFiles, childArgv, cmdlines: this.cmdlines.size, secrets: this.secrets.size }, leaks };
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
