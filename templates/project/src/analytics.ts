import type { Env } from './env';

export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

/**
 * One data point per request in the client's own dataset. Indexed by client
 * id so a dataset shared by mistake still separates clients. Metrics are
 * best effort: a failing binding must never cost the caller its response.
 */
export function recordRequest(env: Env, record: RequestRecord): void {
  const dataset = env.ANALYTICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [env.CLIENT_ID],
      blobs: [env.CLIENT_ID, record.route, record.method],
      doubles: [record.status, record.durationMs],
    });
  } catch (error) {
    console.warn(`analytics: data point not written (${error instanceof Error ? error.message : String(error)})`);
  }
}
