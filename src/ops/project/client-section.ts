import type { JSONPath } from 'jsonc-parser';
import { addMember, parseConfigText, type WranglerConfig, type WranglerEnv } from '../../config/wrangler-config.js';
import { datasetBoundBy, type Fleet } from '../../fleet/fleet.js';
import { datasetName } from '../../fleet/names.js';
import { nextNamespaceId, RATE_LIMIT_VAR, rateLimitEntry, rateLimitOf, rateLimitVar } from '../../fleet/rate-limits.js';
import { usageError } from '../../util/errors.js';

/**
 * What a client's section of wrangler.jsonc holds when `add` writes it, and how to complete one
 * written before (by hand, by an older mcp-fleet, or the top level made a client): the CLIENT_ID
 * var its worker answers `whoami` with, an ANALYTICS dataset for `metrics`, the
 * version_metadata binding through which /health names the version that answers, and a rate
 * limit (fleet/rate-limits.ts) with the RATE_LIMIT var that reports it.
 */

/** The binding through which the worker's /health names its version (see rollout/verify-wave.ts). */
export const VERSION_METADATA_BINDING = 'CF_VERSION_METADATA';

/**
 * A new client's section; `vars` are the settings of .vars.template it was given, `config` the
 * project's (whose rate limits' namespace ids the new one must not repeat).
 */
export function envSectionFor(client: string, vars: ReadonlyMap<string, string> = new Map(), config: WranglerConfig = {}): WranglerEnv {
  const rateLimit = rateLimitEntry(nextNamespaceId(config));
  return {
    name: client,
    analytics_engine_datasets: [{ binding: 'ANALYTICS', dataset: datasetName(client) }],
    ratelimits: [rateLimit],
    vars: { CLIENT_ID: client, ...Object.fromEntries(vars), [RATE_LIMIT_VAR]: rateLimitVar(rateLimit) },
    version_metadata: { binding: VERSION_METADATA_BINDING },
  };
}

export interface SectionCompletion {
  /** The config text with the missing members added (the same text when nothing was missing). */
  configText: string;
  /** What was added, as paths relative to the section (e.g. "vars.CLIENT_ID", "version_metadata"). */
  added: string[];
  /** The section's ANALYTICS dataset after the edit, if it has one. */
  dataset: string | undefined;
}

/**
 * Adds to the section at `at` ([] for the top level, ['env', name] for an env) what `add` would
 * have written and it lacks, and nothing else; every other byte stays. An existing dataset list
 * without ANALYTICS is left alone (it is not ours to edit). A dataset name bound elsewhere is bad input.
 */
export function completeSection(fleet: Fleet, text: string, at: JSONPath, section: WranglerEnv, client: string): SectionCompletion {
  let configText = text;
  const added: string[] = [];
  const add = (path: JSONPath, key: string, value: unknown, label: string) => {
    configText = addMember(configText, path, key, value, fleet.configPath);
    added.push(label);
  };
  // A section with ratelimits of its own (another binding name, say) is the author's; only a bare one gets ours,
  // numbered from the text as given: upgrade-config completes several sections before it writes.
  const ownRateLimit = rateLimitOf(section);
  const newRateLimit =
    section.ratelimits === undefined ? rateLimitEntry(nextNamespaceId(parseConfigText(text, fleet.configPath))) : undefined;
  const rateLimit = ownRateLimit ?? newRateLimit;
  const rateLimitVars = rateLimit ? { [RATE_LIMIT_VAR]: rateLimitVar(rateLimit) } : {};
  if (section.vars === undefined) add(at, 'vars', { CLIENT_ID: client, ...rateLimitVars }, 'vars');
  else if (!Object.hasOwn(section.vars, 'CLIENT_ID')) add([...at, 'vars'], 'CLIENT_ID', client, 'vars.CLIENT_ID');
  let dataset = section.analytics_engine_datasets?.find((binding) => binding.binding === 'ANALYTICS')?.dataset;
  if (section.analytics_engine_datasets === undefined) {
    dataset = datasetName(client);
    const boundBy = datasetBoundBy(fleet, dataset);
    if (boundBy)
      throw usageError(
        `dataset ${dataset} is already bound by ${boundBy} in ${fleet.configPath}`,
        `Bind another dataset to ANALYTICS for ${client} in ${fleet.configPath}; nothing was written.`,
      );
    add(at, 'analytics_engine_datasets', [{ binding: 'ANALYTICS', dataset }], 'analytics_engine_datasets');
  }
  if (section.version_metadata === undefined) add(at, 'version_metadata', { binding: VERSION_METADATA_BINDING }, 'version_metadata');
  if (newRateLimit) add(at, 'ratelimits', [newRateLimit], 'ratelimits');
  if (rateLimit && section.vars !== undefined && !Object.hasOwn(section.vars, RATE_LIMIT_VAR))
    add([...at, 'vars'], RATE_LIMIT_VAR, rateLimitVar(rateLimit), `vars.${RATE_LIMIT_VAR}`);
  return { configText, added, dataset };
}
