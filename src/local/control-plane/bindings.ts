import { errors } from '../net/envelope.js';

/** Rules for bindings that hold whether they come with an upload or through the secrets routes. */

export const MAX_BINDINGS = 128;
const MAX_SECRET_BYTES = 5 * 1024;
/** A binding becomes a property of `env`, so its name must be a JavaScript identifier. */
export const BINDING_NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function checkSecretSize(name: string, text: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_SECRET_BYTES)
    throw errors.badRequest(`Secret "${name}" is larger than ${MAX_SECRET_BYTES} bytes`);
}
