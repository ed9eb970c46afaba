// What a deploy run reports while it runs and at the end: typed events (a union on `kind`) that
// the terminal, plain and JSON views render, and the outcome of each host.

/** Every step a host goes through, named as in the output and the code (Capistrano-style public names). */
export type PhaseName =
  | 'check'
  | 'lock'
  | 'pre-deploy-local'
  | 'fetch'
  | 'create release'
  | 'link shared'
  | 'pre-deploy'
  | 'select release'
  | 'mark bad'
  | 'publish'
  | 'post-deploy'
  | 'health check'
  | 'batch wait'
  | 'rollback'
  | 'cleanup'
  | 'finish'
  | 'pre-setup'
  | 'layout'
  | 'agent'
  | 'post-setup'
  | 'read'
  | 'exec'
  | 'startup';

/** Where an event comes from: a host's label, or null for the local machine. */
export type Origin = string | null;

/** Events of a run, in the order they happen. */
export type DeployEvent =
  | { kind: 'start'; command: string; environment: string; hosts: string[]; strategy: string }
  | { kind: 'phase-start'; host: Origin; phase: PhaseName }
  | { kind: 'phase-done'; host: Origin; phase: PhaseName; durationMs: number }
  | { kind: 'phase-failed'; host: Origin; phase: PhaseName; message: string }
  | { kind: 'output'; host: Origin; phase: PhaseName; line: string }
  | { kind: 'progress'; host: Origin; phase: PhaseName; bytes: number; total: number | null }
  | { kind: 'note'; host: Origin; level: 'info' | 'warn'; message: string }
  /** --plan: a command that would change the host (or run a local hook), reported instead of run. */
  | { kind: 'planned'; host: Origin; phase: PhaseName; command: string }
  /** A batch of a ramp (`rolling`) starts publishing: its number, the count of batches, its hosts. */
  | { kind: 'batch-start'; batch: number; of: number; hosts: string[] }
  /** A batch that passed is held `holdMs` before the next publishes; `checked`: its health check is repeated meanwhile. */
  | { kind: 'batch-hold'; batch: number; of: number; hosts: string[]; holdMs: number; checked: boolean }
  | { kind: 'host-done'; outcome: HostOutcome };

/** How a host ended: `cancelled` is not published because another host failed, `aborted` stopped by an interrupt. */
export type HostStatus = 'deployed' | 'reverted' | 'done' | 'failed' | 'cancelled' | 'rolled-back' | 'aborted';

/** The per-host line of the summary; every host of the environment gets one. */
export interface HostOutcome {
  host: string;
  /** user@hostname:port */
  address: string;
  status: HostStatus;
  /** The phase that failed (for failed and rolled-back hosts). */
  phase: PhaseName | null;
  message: string | null;
  /** The release `current` points at when the command ends: read back from the host when `readBack`, else the last known. */
  release: string | null;
  sha: string | null;
  /** True when `release` was read from the host at the end of the run (false: the host could not be asked). */
  readBack: boolean;
  /** The release this run meant the host to serve (deploy: the new one, revert: its target), or null. */
  target: string | null;
  /** The release `current` pointed at before the run. */
  previous: string | null;
  /**
   * Whether the host's ledger has this run's line: true, false when it should and has none (writing
   * it failed, or the host was not reached again after its connection was lost), null when this run
   * writes none there (a host never reached or never locked: another deploy's lock; a command that
   * keeps no ledger).
   */
  recorded: boolean | null;
  durationMs: number;
  notes: string[];
  /** What a query command (list, curr, prev, exec, startup) answered on this host. */
  data?: unknown;
}

/** Where events go; views implement it. */
export type Emit = (event: DeployEvent) => void;

/** True when the host ended as the command intended. */
export function succeeded(outcome: HostOutcome): boolean {
  return outcome.status === 'deployed' || outcome.status === 'reverted' || outcome.status === 'done';
}

/** True when the host ended as intended, its ledger says so, and (when the run had a target) it serves the target, as read back. */
export function serving(outcome: HostOutcome): boolean {
  return succeeded(outcome) && outcome.recorded !== false && (outcome.target === null || (outcome.readBack && outcome.release === outcome.target));
}
