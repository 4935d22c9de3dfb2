import type { FleetApi } from '../cloudflare/api.js';

export interface DeleteWorkerResult {
  worker: string;
  /** 'absent': there was no such worker (already deleted, or never deployed). */
  outcome: 'deleted' | 'absent';
}

/** Deletes a client's worker (and with it its secrets and versions) on the target. One API call. */
export async function deleteWorker(api: FleetApi, workerName: string): Promise<DeleteWorkerResult> {
  return { worker: workerName, outcome: await api.deleteScript(workerName) };
}
