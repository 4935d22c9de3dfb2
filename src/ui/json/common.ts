import type { ChosenBy } from '../../cloudflare/target-choice.js';
import type { ClientFailure } from '../../ops/fleet/client-failure.js';
import type { ExitCode } from '../../util/errors.js';

/**
 * The --json contract: every command's document is declared in this folder and built by one mapping
 * that names each field, so renaming a field of an op's result is a type error in its mapping, never
 * a silent change of what a CI script reads, and a field added to a result is not printed until it is
 * declared here. Nothing is spread from an internal object into a document.
 *
 * A field typed `T | undefined` is left out of the printed document when it is undefined
 * (JSON.stringify drops it); it is typed so, not `field?: T`, so that a mapping has to name it.
 */

/** In every document. Raise it only when a field is renamed, dropped or changes meaning; a field added is not a new version. */
export const SCHEMA_VERSION = 1;
export type SchemaVersion = typeof SCHEMA_VERSION;

/** Why one client failed, secret-free. exitCode 2 when its input was bad, 1 otherwise. */
export interface ClientFailureJson {
  message: string;
  hint: string | undefined;
  exitCode: 1 | 2;
}

export function clientFailureJson(failure: ClientFailure | undefined): ClientFailureJson | undefined {
  return failure === undefined ? undefined : { message: failure.message, hint: failure.hint, exitCode: failure.exitCode };
}

/** The document of a fleet command: ok when it succeeded for every selected client, and one entry per client. */
export interface FleetJson<C> {
  schemaVersion: SchemaVersion;
  ok: boolean;
  clients: C[];
}

export function fleetJson<R, C>(results: readonly R[], ok: boolean, client: (result: R) => C): FleetJson<C> {
  return { schemaVersion: SCHEMA_VERSION, ok, clients: results.map(client) };
}

/** What stdout carries under --json when a command fails as a whole (bad usage, bad input, an error): the message and hint of stderr. */
export interface FailureJson {
  schemaVersion: SchemaVersion;
  ok: false;
  error: { message: string; hint: string | null; exitCode: ExitCode };
}

export function failureJson(message: string, hint: string | undefined, exitCode: ExitCode): FailureJson {
  return { schemaVersion: SCHEMA_VERSION, ok: false, error: { message, hint: hint ?? null, exitCode } };
}

/** Which target a command acted on, and what chose it (never the token). Fields not known yet (Cloudflare before its first call) are null. */
export interface TargetJson {
  kind: 'cloudflare' | 'local';
  /** flag: --local/--remote; environment: MCP_FLEET_TARGET; project: the local edge since `local start`; default: Cloudflare. */
  chosenBy: ChosenBy;
  accountId: string | null;
  apiBaseUrl: string | null;
}

export function targetJson(
  target: { kind: 'cloudflare' | 'local'; accountId: string | undefined; apiBaseUrl: string | undefined },
  chosenBy: ChosenBy,
): TargetJson {
  return { kind: target.kind, chosenBy, accountId: target.accountId ?? null, apiBaseUrl: target.apiBaseUrl ?? null };
}

/** A fleet command's document with the target it acted on. */
export type Targeted<D> = D & { target: TargetJson | undefined };

export function withTarget<D extends object>(document: D, target: TargetJson | undefined): Targeted<D> {
  return { ...document, target };
}
