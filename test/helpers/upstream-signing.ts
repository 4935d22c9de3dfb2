import { createHmac } from 'node:crypto';

/**
 * Signs `input` (one `sig1=(…);…` Signature-Input member) over the request with `key`, as a holder
 * of the key could: for verifier tests of signatures whose parameters the worker never writes.
 * Written with node:crypto, apart from both the worker's signer and the verifier.
 */
export function resign(request: { method: string; url: string; headers: Record<string, string> }, input: string, key: string): string {
  const match = /^(\w+)=(\(([^)]*)\).*)$/.exec(input);
  if (!match) throw new Error(`not one Signature-Input member: ${input}`);
  const [, label, params, list] = match as unknown as [string, string, string, string];
  const names = list.split(' ').map((quoted) => quoted.slice(1, -1));
  const lines = names.map((name) => {
    const value = name === '@method' ? request.method : name === '@target-uri' ? request.url : request.headers[name];
    return `"${name}": ${value}`;
  });
  lines.push(`"@signature-params": ${params}`);
  return `${label}=:${createHmac('sha256', key).update(lines.join('\n')).digest('base64')}:`;
}
