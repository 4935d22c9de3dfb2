import type { WorkersApi } from '../../cloudflare/workers-api.js';

/**
 * Whether a worker already runs on the target, for `add`: a live worker keeps its key, so add must
 * know before it makes one. Known from the account's worker list (one API call per command,
 * however many workers are asked about), or unknown when there is no target to ask.
 */
export type WorkerPresence = { state: 'exists' } | { state: 'absent' } | { state: 'unknown'; why: string };

export interface PresenceCheck {
  /** Where the answer comes from, for messages ("the local edge", "Cloudflare account 0123…"). */
  readonly where: string;
  /** Throws (a FleetError) when the target could not be read. */
  presence(worker: string): Promise<WorkerPresence>;
}

export function accountPresence(api: Pick<WorkersApi, 'listScripts'>, where: string): PresenceCheck {
  let scripts: ReturnType<WorkersApi['listScripts']> | undefined;
  return {
    where,
    async presence(worker) {
      scripts ??= api.listScripts();
      return (await scripts).has(worker) ? { state: 'exists' } : { state: 'absent' };
    },
  };
}

/** No target to ask (no token, no local edge): every worker's presence is unknown, for this reason. */
export function unknownPresence(why: string): PresenceCheck {
  return { where: 'nowhere', presence: async () => ({ state: 'unknown', why }) };
}
