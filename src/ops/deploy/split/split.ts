import type { Deployment, DeploymentVersion } from '../../../cloudflare/workers-api.js';

/**
 * A gradual deployment (two versions) as mcp-fleet reads it back: which version is the newer one
 * (the dark launch) and which ran before. Cloudflare's list keeps no order inside a deployment, so
 * the older version is the one an earlier deployment already ran; when no earlier deployment tells,
 * the one with the bigger share is taken for the old (a dark launch starts small).
 */
export interface Split {
  newer: DeploymentVersion;
  older: DeploymentVersion;
}

/** The live deployment's split, or undefined when one version runs (or nothing does). Deployments newest first. */
export function liveSplit(deployments: readonly Deployment[]): Split | undefined {
  const [live, ...earlier] = deployments;
  if (live?.versions.length !== 2) return undefined;
  const [a, b] = live.versions as [DeploymentVersion, DeploymentVersion];
  const ranBefore = (version: DeploymentVersion) =>
    earlier.some((deployment) => deployment.versions.length === 1 && deployment.versions[0]?.version_id === version.version_id);
  if (ranBefore(a) && !ranBefore(b)) return { newer: b, older: a };
  if (ranBefore(b) && !ranBefore(a)) return { newer: a, older: b };
  return a.percentage <= b.percentage ? { newer: a, older: b } : { newer: b, older: a };
}

/** The version that runs alone (100 %) in the live deployment, if one does. */
export function soleVersion(deployments: readonly Deployment[]): string | undefined {
  const live = deployments[0];
  return live?.versions.length === 1 ? live.versions[0]?.version_id : undefined;
}

/** Cloudflare's deployment body for a split: the newer version at `percent`, the older at the rest. */
export function splitVersions(newer: string, older: string, percent: number): DeploymentVersion[] {
  return [
    { version_id: newer, percentage: percent },
    { version_id: older, percentage: 100 - percent },
  ];
}

/** `--percent`: a whole number 1..99 (Cloudflare allows 0.01 steps; a fleet's dark launch does not need them). */
export function parsePercent(raw: string): number | undefined {
  const text = raw.trim().replace(/%$/, '');
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 1 && value <= 99 ? value : undefined;
}

/**
 * `--ramp 10,50` (or `10%,50%,100%`): the shares of its traffic each client's new version takes in
 * turn before 100 %, growing, each 1..99; a trailing 100 is implied and may be written.
 */
export function parseRamp(raw: string): number[] | undefined {
  const parts = raw.split(',').map((part) => part.trim().replace(/%$/, ''));
  if (parts.at(-1) === '100') parts.pop();
  if (parts.length === 0) return undefined;
  const steps = parts.map((part) => parsePercent(part));
  if (steps.some((step) => step === undefined)) return undefined;
  const numbers = steps as number[];
  return numbers.every((step, i) => i === 0 || step > (numbers[i - 1] as number)) ? numbers : undefined;
}
