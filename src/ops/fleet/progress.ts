/** Live progress of one client in a fleet operation. `detail` is shown on its line; never a value. */
export type ClientPhase = 'queued' | 'working' | 'done' | 'failed' | 'skipped';
export type ProgressListener = (client: string, phase: ClientPhase, detail: string) => void;
/** One client's own progress reporter, as the fleet runner hands it to the per-client work. */
export type ClientProgress = (phase: ClientPhase, detail: string) => void;
