import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretsApi } from '../cloudflare/api.js';
import { localTarget } from '../cloudflare/local-target.js';
import { type Fleet, loadFleet } from '../fleet/fleet.js';
import { type RunningEdge, startEdge } from '../local/edge.js';
import { describeError } from '../util/errors.js';
import { deployFleet } from './deploy/deploy.js';
import type { ProgressListener } from './fleet/progress.js';
import { addClient } from './project/add.js';
import { initProject } from './project/init.js';
import { rotateSecrets } from './secrets/rotate.js';
import type { FleetVerification } from './verify/verification.js';
import { verifyFleet } from './verify/verify-fleet.js';

export const DEMO_CLIENTS = ['acme', 'globex', 'initech'] as const;

export type DemoStep = 'init' | 'edge' | 'add' | 'deploy' | 'verify' | 'rotate' | 'verify-again' | 'stop';

export interface DemoEvents {
  /** A step starts (ok undefined) or ends (ok true/false, with what it did). */
  step?: (step: DemoStep, title: string, ok?: boolean, detail?: string) => void;
  /** Per-client progress inside the deploy and rotate steps. */
  clients?: (step: DemoStep, clients: readonly string[]) => ProgressListener;
  /** A verify run finished. */
  verified?: (step: DemoStep, report: FleetVerification) => void;
}

export interface DemoRow {
  client: string;
  url: string;
  checks: { name: string; ok: boolean; ms: number }[];
  deployMs: number | undefined;
  verifyMs: number;
  rotated: boolean;
}

export interface DemoResult {
  ok: boolean;
  dir: string;
  /** The step that failed, if any. */
  failedStep: DemoStep | undefined;
  error: string | undefined;
  rows: DemoRow[];
  stepMs: Partial<Record<DemoStep, number>>;
  totalMs: number;
}

class StepFailed extends Error {
  constructor(
    readonly step: DemoStep,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The whole loop on the local edge: scaffold, start the edge, add three clients, deploy, verify,
 * rotate one client's key, verify again, stop the edge. Every step runs the same code as the
 * commands, against the edge as Target.
 */
export async function runDemo(options: { dir?: string; events?: DemoEvents }): Promise<DemoResult> {
  const events = options.events ?? {};
  const started = Date.now();
  const stepMs: DemoResult['stepMs'] = {};
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'mcp-fleet-demo-')));
  const rows = new Map<string, DemoRow>();
  let edge: RunningEdge | undefined;
  let failedStep: DemoStep | undefined;
  let error: string | undefined;

  const step = async <T>(name: DemoStep, title: string, work: () => Promise<{ value: T; detail: string; ok?: boolean }>): Promise<T> => {
    events.step?.(name, title);
    const t0 = Date.now();
    let outcome: { value: T; detail: string; ok?: boolean };
    try {
      outcome = await work();
    } catch (cause) {
      stepMs[name] = Date.now() - t0;
      events.step?.(name, title, false, describeError(cause));
      throw cause instanceof StepFailed ? cause : new StepFailed(name, describeError(cause));
    }
    stepMs[name] = Date.now() - t0;
    const ok = outcome.ok ?? true;
    events.step?.(name, title, ok, outcome.detail);
    if (!ok) throw new StepFailed(name, outcome.detail);
    return outcome.value;
  };

  const verify = async (name: DemoStep, fleet: Fleet): Promise<void> => {
    await step(name, 'verify every client: health, ready, auth, origin, MCP in both generations, identity, isolation', async () => {
      const report = await verifyFleet({ fleet, clients: fleet.clients, target: await localTarget(dir) });
      events.verified?.(name, report);
      for (const client of report.clients) {
        const row = rows.get(client.client);
        if (!row) continue;
        row.url = client.url;
        row.checks = client.checks.map((check) => ({ name: check.name, ok: check.ok, ms: check.ms }));
        row.verifyMs = client.ms;
      }
      const failed = report.clients.filter((client) => !client.ok).map((client) => client.client);
      return {
        value: undefined,
        ok: report.ok,
        detail: report.ok
          ? `${report.clients.length} clients passed in ${(report.ms / 1000).toFixed(1)} s`
          : `failed: ${failed.join(', ')}`,
      };
    });
  };

  try {
    await step('init', `scaffold a fleet project in ${dir}`, async () => {
      const result = await initProject({ dir, adopt: false, deps: 'link' });
      return { value: result, detail: `${result.created.length} files` };
    });
    edge = await step('edge', 'start the local edge (Cloudflare API + workerd on loopback)', async () => {
      const running = await startEdge({ projectDir: dir, port: 0 });
      return { value: running, detail: running.info.apiBaseUrl };
    });
    let fleet = await step('add', `add ${DEMO_CLIENTS.length} clients: ${DEMO_CLIENTS.join(', ')}`, async () => {
      for (const client of DEMO_CLIENTS) {
        // Each client's upstream credential is its own random value, as a real client's would be.
        await addClient({
          fleet: await loadFleet(dir),
          client,
          set: new Map([['UPSTREAM_TOKEN', `demo-${randomBytes(12).toString('base64url')}`]]),
          fromEnv: false,
          env: {},
          force: false,
        });
        rows.set(client, { client, url: '', checks: [], deployMs: undefined, verifyMs: 0, rotated: false });
      }
      return { value: await loadFleet(dir), detail: 'env sections and .secrets.<client> files (0600) written' };
    });
    const target = await localTarget(dir);
    await step('deploy', 'deploy every client (code and secrets in one version per worker)', async () => {
      const results = await deployFleet({
        fleet,
        clients: fleet.clients,
        target,
        verify: false,
        onProgress: events.clients?.(
          'deploy',
          fleet.clients.map((client) => client.name),
        ),
      });
      for (const result of results) {
        const row = rows.get(result.client);
        if (row) row.deployMs = result.durationMs;
      }
      const failed = results.filter((result) => !result.ok);
      return {
        value: results,
        ok: failed.length === 0,
        detail:
          failed.length === 0
            ? `${results.length} workers deployed`
            : `failed: ${failed.map((r) => `${r.client} (${r.error?.message ?? r.stage})`).join(', ')}`,
      };
    });
    await verify('verify', fleet);
    const rotated = DEMO_CLIENTS[0];
    await step('rotate', `rotate ${rotated}'s API_KEY (new key accepted, old key refused)`, async () => {
      const client = fleet.clients.filter((c) => c.name === rotated);
      const [result] = await rotateSecrets({
        fleet,
        clients: client,
        api: createSecretsApi(target),
        onProgress: events.clients?.('rotate', [rotated]),
      });
      const row = rows.get(rotated);
      if (row && result?.ok) row.rotated = true;
      return {
        value: result,
        ok: Boolean(result?.ok),
        detail: result?.ok ? (result.proof?.detail ?? 'rotated') : (result?.error?.message ?? 'rotation failed'),
      };
    });
    fleet = await loadFleet(dir);
    await verify('verify-again', fleet);
  } catch (caught) {
    failedStep = caught instanceof StepFailed ? caught.step : undefined;
    error = describeError(caught);
  } finally {
    if (edge) {
      const running = edge;
      await step('stop', 'stop the local edge', async () => {
        await running.stop();
        return { value: undefined, detail: 'stopped' };
      }).catch((caught: unknown) => {
        failedStep ??= 'stop';
        error ??= describeError(caught);
      });
    }
  }
  return {
    ok: failedStep === undefined && error === undefined,
    dir,
    failedStep,
    error,
    rows: [...rows.values()],
    stepMs,
    totalMs: Date.now() - started,
  };
}
