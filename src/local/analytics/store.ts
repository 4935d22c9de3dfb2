/**
 * Analytics Engine data points the edge's workers wrote, for GET /__edge/analytics: in memory only,
 * the newest `capacityPerScript` per worker, so a chatty worker cannot grow the edge without bound.
 */

/** One writeDataPoint call, as the edge records it. */
export interface DataPoint {
  time: string;
  script: string;
  dataset: string;
  binding: string;
  blobs: Array<string | null>;
  doubles: number[];
  indexes: Array<string | null>;
}

export class AnalyticsStore {
  private readonly points = new Map<string, DataPoint[]>();
  constructor(private readonly capacityPerScript = 10_000) {}

  add(point: DataPoint): void {
    const list = this.points.get(point.script) ?? [];
    list.push(point);
    if (list.length > this.capacityPerScript) list.splice(0, list.length - this.capacityPerScript);
    this.points.set(point.script, list);
  }

  /** One worker's points, or every worker's in time order. */
  list(script?: string): DataPoint[] {
    if (script !== undefined) return [...(this.points.get(script) ?? [])];
    return [...this.points.values()].flat().sort((a, b) => a.time.localeCompare(b.time));
  }

  clear(script?: string): void {
    if (script === undefined) this.points.clear();
    else this.points.delete(script);
  }
}
