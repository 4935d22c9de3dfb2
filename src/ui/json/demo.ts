import type { DemoResult, DemoStep } from '../../ops/demo.js';
import { SCHEMA_VERSION, type SchemaVersion } from './common.js';

/** The document of `demo`: each client's checks and timings, and where the demo stopped if it failed. */

type DemoStepJson = 'init' | 'edge' | 'add' | 'deploy' | 'verify' | 'rotate' | 'verify-again' | 'stop';

export interface DemoRowJson {
  client: string;
  url: string;
  checks: { name: string; ok: boolean; ms: number }[];
  deployMs: number | undefined;
  verifyMs: number;
  rotated: boolean;
}

/** `demo --json`. */
export interface DemoJson {
  schemaVersion: SchemaVersion;
  ok: boolean;
  /** The project the demo made (left in place). */
  dir: string;
  failedStep: DemoStepJson | undefined;
  error: string | undefined;
  rows: DemoRowJson[];
  /** Milliseconds per step that ran. */
  stepMs: Partial<Record<DemoStepJson, number>>;
  totalMs: number;
}

export function demoJson(result: DemoResult): DemoJson {
  const stepMs: Partial<Record<DemoStepJson, number>> = {};
  for (const [step, ms] of Object.entries(result.stepMs) as [DemoStep, number][]) stepMs[step] = ms;
  return {
    schemaVersion: SCHEMA_VERSION,
    ok: result.ok,
    dir: result.dir,
    failedStep: result.failedStep,
    error: result.error,
    rows: result.rows.map((row) => ({
      client: row.client,
      url: row.url,
      checks: row.checks.map((check) => ({ name: check.name, ok: check.ok, ms: check.ms })),
      deployMs: row.deployMs,
      verifyMs: row.verifyMs,
      rotated: row.rotated,
    })),
    stepMs,
    totalMs: result.totalMs,
  };
}
