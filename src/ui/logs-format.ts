import pc from 'picocolors';
import type { TailEvent } from '../ops/logs/events.js';
import type { ClientLogs } from '../ops/logs/logs.js';
import { logEventJson } from './json/logs.js';

/**
 * How `logs` prints events: one line per request (or other trigger) and one per console line and
 * exception under it, each prefixed with the client, so several clients' streams interleave
 * readably; or, with --json, one JSON object per event per line. The text is the worker's own, so
 * terminal control characters in it are shown escaped, never sent to the terminal.
 */

/** The characters `shouldEscape` picks, as \u escapes. */
function escapeWhere(text: string, shouldEscape: (code: number) => boolean): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    out += shouldEscape(code) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}

const isC1 = (code: number) => code >= 0x7f && code <= 0x9f;

/** Control characters other than tab, as \u escapes (as wrangler tail shows them): the worker's text cannot drive the terminal. */
export function escapeControls(text: string): string {
  return escapeWhere(text, (code) => (code < 0x20 && code !== 0x09) || isC1(code));
}

const CLIENT_COLOURS = [pc.cyan, pc.magenta, pc.blue, pc.green, pc.yellow];

function colourOf(client: string, clients: readonly string[]): (text: string) => string {
  const index = clients.indexOf(client);
  return CLIENT_COLOURS[Math.max(index, 0) % CLIENT_COLOURS.length] as (text: string) => string;
}

/** HH:MM:SS in local time. */
function clock(iso: string | undefined): string {
  if (iso === undefined) return '--:--:--';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '--:--:--' : date.toTimeString().slice(0, 8);
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function levelColour(level: string): (text: string) => string {
  if (level === 'error') return pc.red;
  if (level === 'warn') return pc.yellow;
  return pc.dim;
}

export interface LogsFormat {
  /** All selected clients, for the width and colour of the prefix. */
  clients: readonly string[];
}

export function formatEvent(event: TailEvent, format: LogsFormat): string[] {
  const width = Math.max(...format.clients.map((client) => client.length), event.client.length);
  const prefix = `${colourOf(event.client, format.clients)(event.client.padEnd(width))}  ${pc.dim(clock(event.time))}`;
  const outcome = event.outcome === 'ok' ? '' : ` ${pc.red(escapeControls(event.outcome))}`;
  let head: string;
  if (event.request) {
    const status = event.request.status;
    const statusText =
      status === undefined ? '' : ` ${status >= 500 ? pc.red(String(status)) : status >= 400 ? pc.yellow(String(status)) : String(status)}`;
    head = `${escapeControls(event.request.method)} ${escapeControls(pathOf(event.request.url))}${statusText}${outcome}`;
  } else {
    head = `${escapeControls(event.trigger ?? 'event')}${outcome || ` ${event.outcome}`}`;
  }
  const lines = [`${prefix}  ${head}`];
  // A message of several lines (a stack trace) keeps the prefix on each, so every line says whose it is.
  const add = (label: string, text: string) => {
    text.split(/\r?\n/).forEach((line, index) => {
      lines.push(`${prefix}    ${index === 0 ? label : ' '.repeat(5)} ${escapeControls(line)}`);
    });
  };
  for (const log of event.logs) add(levelColour(log.level)(escapeControls(log.level).padEnd(5)), log.message);
  for (const exception of event.exceptions) add(pc.red('throw'), `${exception.name}: ${exception.message}`);
  return lines;
}

/** One event as one line of JSON (its declared document); C1 control characters escaped too (JSON.stringify leaves them raw). */
export function eventJsonLine(event: TailEvent): string {
  return escapeWhere(JSON.stringify(logEventJson(event)), isC1);
}

/** The closing line: what each client's stream did. */
export function logsSummary(results: readonly ClientLogs[]): string {
  const parts = results.map((result) =>
    result.error
      ? pc.red(`${result.client} failed`)
      : `${result.client} ${result.events} event${result.events === 1 ? '' : 's'}${result.ended === 'closed' ? ' (tail closed by Cloudflare)' : ''}`,
  );
  const deleted = results.reduce((sum, result) => sum + result.tails - result.leftOpen, 0);
  return pc.dim(`${parts.join(', ')}; ${deleted} tail${deleted === 1 ? '' : 's'} deleted`);
}
