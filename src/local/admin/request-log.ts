/**
 * The control plane's request log: one entry per API request, never a body, never a header,
 * never a query value. Tests and benchmarks read it through GET /__edge/requests to count calls
 * per client (script) and operation (route).
 */

export interface RequestLogEntry {
  /** Increasing; `?since=<seq>` returns later entries. */
  seq: number;
  time: string;
  method: string;
  /** The path without its query string. */
  path: string;
  /** The matched route pattern, e.g. `PUT /accounts/:account/workers/scripts/:script/secrets`. */
  route: string | null;
  /** The worker the call is about, when the path names one. */
  script: string | null;
  status: number;
  ms: number;
  /** Set when fault injection decided the answer. */
  fault: 'error' | 'rate-limited' | null;
  /** Names (never values) of body fields the edge accepted without applying them: outside the operation's schema. */
  ignored: string[];
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 20_000) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    this.seq += 1;
    const full = { seq: this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return full;
  }

  list(filter: { since?: number; script?: string } = {}): RequestLogEntry[] {
    return this.entries.filter(
      (entry) =>
        (filter.since === undefined || entry.seq > filter.since) && (filter.script === undefined || entry.script === filter.script),
    );
  }

  clear(): void {
    this.entries = [];
  }
}

/** Strips the query string: only the path is ever logged. */
export function pathOnly(url: string): string {
  const index = url.search(/[?#]/);
  return index === -1 ? url : url.slice(0, index);
}
