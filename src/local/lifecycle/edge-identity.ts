import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type FleetError, usageError } from '../../util/errors.js';
import { commandLine } from '../../util/next-step.js';
import { isAlive } from '../../util/process-alive.js';
import { type EdgeInfo, edgeUrls } from './edge-file.js';

/**
 * Is the edge that edge.json records the one answering on its port? edge.json outlives an edge
 * killed with SIGKILL, and its port may since belong to anything; a command that trusted the file
 * would hand that listener the edge's token and every secret it pushes. So before a --local command
 * sends anything, it asks the port to prove it is the recorded edge: it sends a fresh random nonce
 * (nothing secret), and only a process holding the edge's token can answer with the HMAC of that
 * nonce and the edge's pid, port and start time under that token. The token itself never travels.
 */

export interface EdgeWho {
  pid: number;
  port: number;
  startedAt: string;
}

export interface IdentityAnswer extends EdgeWho {
  proof: string;
}

const NONCE_RE = /^[A-Za-z0-9_-]{16,128}$/;
/** An answer bigger than this is not the edge's (its answer is about 200 bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

export function isValidNonce(nonce: string | null): nonce is string {
  return nonce !== null && NONCE_RE.test(nonce);
}

/** The proof the edge gives for a nonce: bound to this edge's process, so a restarted edge's old record does not pass. */
export function identityProof(token: string, nonce: string, who: EdgeWho): string {
  return createHmac('sha256', token)
    .update(`mcp-fleet edge identity v1\n${nonce}\n${who.pid}\n${who.port}\n${who.startedAt}`)
    .digest('hex');
}

export type EdgeProblem =
  | { kind: 'not-loopback'; detail: string }
  | { kind: 'exited'; pid: number }
  | { kind: 'no-answer'; port: number; detail: string }
  | { kind: 'impostor'; port: number; detail: string };

/**
 * Why edge.json's URLs cannot be the local edge's: each must be exactly the URL an edge on the
 * recorded port writes (edgeUrls). Loopback alone is not enough: another loopback address or
 * [::1] on the same port is another listener, and a template with a path or `..` in it reaches
 * another client's worker through the edge itself; either would be handed every client's key.
 */
export function edgeUrlProblem(info: EdgeInfo): string | undefined {
  if (!Number.isInteger(info.port) || info.port < 1 || info.port > 65535) return `port ${info.port} is not a port number`;
  const expected = edgeUrls(info.port);
  for (const field of ['apiBaseUrl', 'adminUrl', 'workerUrlTemplate', 'workerPathUrlTemplate'] as const) {
    const recorded = info[field];
    if (recorded === undefined && field === 'workerPathUrlTemplate') continue;
    if (recorded !== expected[field]) return `${field} ${recorded} is not ${expected[field]}, the edge's own on port ${info.port}`;
  }
  return undefined;
}

/** Checks the recorded edge: its URLs, its process, and its answer to a challenge. Undefined when it is the edge. */
export async function verifyEdge(info: EdgeInfo, timeoutMs = 3_000): Promise<EdgeProblem | undefined> {
  const badUrl = edgeUrlProblem(info);
  if (badUrl) return { kind: 'not-loopback', detail: badUrl };
  if (!isAlive(info.pid)) return { kind: 'exited', pid: info.pid };
  const nonce = randomBytes(32).toString('base64url');
  let text: string | undefined;
  try {
    const response = await fetch(`${info.adminUrl}/identity?nonce=${nonce}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    text = await readCapped(response);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.name : 'error');
    const detail = code === 'ECONNREFUSED' ? 'connection refused' : code === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : code;
    return { kind: 'no-answer', port: info.port, detail };
  }
  if (text === undefined) return { kind: 'impostor', port: info.port, detail: 'its answer is far larger than the edge gives' };
  let answer: { result?: Partial<IdentityAnswer> } | undefined;
  try {
    answer = JSON.parse(text) as { result?: Partial<IdentityAnswer> };
  } catch {
    return { kind: 'impostor', port: info.port, detail: 'it did not answer as the edge does' };
  }
  const result = answer?.result;
  if (!result || result.pid !== info.pid || result.port !== info.port || result.startedAt !== info.startedAt)
    return { kind: 'impostor', port: info.port, detail: 'it is not the edge process edge.json names' };
  const expected = Buffer.from(identityProof(info.token, nonce, info), 'utf8');
  const given = Buffer.from(typeof result.proof === 'string' ? result.proof : '', 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { kind: 'impostor', port: info.port, detail: 'it could not prove that it holds the edge token' };
  return undefined;
}

/** The error a --local command stops with (exit 2): what is wrong and how to get a running edge. */
export function edgeProblemError(problem: EdgeProblem, edgeFile: string): FleetError {
  const restart = `Clear the stale record and start the edge: ${commandLine('local', 'stop')} && ${commandLine('local', 'start', '--detach')}`;
  switch (problem.kind) {
    case 'not-loopback':
      return usageError(`${edgeFile} does not describe a local edge: ${problem.detail}`, restart);
    case 'exited':
      return usageError(
        `the local edge is not running: ${edgeFile} names pid ${problem.pid}, which has exited`,
        `Start it with: ${commandLine('local', 'start', '--detach')}`,
      );
    case 'no-answer':
      return usageError(`the local edge is not running: nothing answers on 127.0.0.1:${problem.port} (${problem.detail})`, restart);
    case 'impostor':
      return usageError(
        `the local edge is not running: another program answers on 127.0.0.1:${problem.port} (${problem.detail}); nothing was sent to it`,
        `The edge recorded in ${edgeFile} has stopped and its port is taken. ${restart}`,
      );
  }
}

/** The body, or undefined when it is larger than any answer of the edge. */
async function readCapped(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
