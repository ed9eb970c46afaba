// The shape of a phase: a named step run on one host (or once locally) that returns what it
// changed. Phases are listed in order in phases/index.ts; the flow runs them.
import type { HostChanges, HostContext, RunInfo } from './context.js';
import type { PhaseName } from './events.js';

/** Records changes at once, so they survive a failure later in the same phase (an open connection, a created release). */
export type Track = (changes: HostChanges) => void;

/** A phase run on each host. */
export interface HostPhase {
  readonly name: PhaseName;
  /** False skips the phase on this host (no hook configured, nothing to do). */
  applies?(ctx: HostContext): boolean;
  run(ctx: HostContext, track: Track): Promise<HostChanges | void>;
}

/** A phase run once on this machine, between host stages. */
export interface LocalPhase {
  readonly name: PhaseName;
  applies?(run: RunInfo): boolean;
  run(run: RunInfo): Promise<RunInfo | void>;
}

/** Hosts run their phases in parallel; a local phase runs once when every host is through the stage before. */
export type Stage = { readonly hosts: readonly HostPhase[] } | { readonly local: LocalPhase };
