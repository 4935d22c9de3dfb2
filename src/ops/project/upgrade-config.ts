import { parseConfigText, writeConfigText } from '../../config/wrangler-config.js';
import type { Client, Fleet } from '../../fleet/fleet.js';
import { completeSection } from './client-section.js';

/**
 * Brings clients' sections of wrangler.jsonc up to what `add` writes today, adding only what each
 * lacks (see client-section.ts) — e.g. version_metadata to sections written before it existed —
 * with byte-exact splices: every comment and every other byte stays. All sections are planned
 * before the one write, so bad input changes nothing.
 */

export interface SectionUpgrade {
  client: string;
  /** "env.<client>", or "the top level" for the top-level worker. */
  section: string;
  /** What was (or, with check, would be) added, relative to the section. */
  added: string[];
}

export interface ConfigUpgrade {
  /** Whether the config changes (with check: would change). */
  changed: boolean;
  clients: SectionUpgrade[];
}

export async function upgradeConfig(fleet: Fleet, clients: readonly Client[], options: { check: boolean }): Promise<ConfigUpgrade> {
  let text = fleet.configText;
  const upgrades: SectionUpgrade[] = [];
  for (const client of clients) {
    const at = client.envName === undefined ? [] : ['env', client.envName];
    const done = completeSection(fleet, text, at, client.env, client.name);
    text = done.configText;
    upgrades.push({
      client: client.name,
      section: client.envName === undefined ? 'the top level' : `env.${client.envName}`,
      added: done.added,
    });
  }
  const changed = text !== fleet.configText;
  if (changed && !options.check) {
    parseConfigText(text, fleet.configPath);
    await writeConfigText(fleet.configPath, text);
  }
  return { changed, clients: upgrades };
}
