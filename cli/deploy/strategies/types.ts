// How a release's files reach a host: the contract of the `git` and `release` strategies.
import type { HostChanges, HostContext, RunInfo } from '../context.js';
import type { Track } from '../phase.js';

/** One source strategy; `fetch` and `createRelease` are the bodies of the phases of those names. */
export interface SourceStrategy {
  /** Tools the host needs for this strategy (checked in the check phase). */
  readonly requires: ReadonlyArray<'git' | 'tar'>;
  /** Work done once locally before any host fetches (the release strategy's archive). */
  prepareLocal?(run: RunInfo): Promise<RunInfo>;
  /** Brings the commit to the host; sets `sha` and `release`. */
  fetch(ctx: HostContext, track: Track): Promise<HostChanges>;
  /** Makes `releases/<release>` from what fetch brought. */
  createRelease(ctx: HostContext, track: Track): Promise<HostChanges | void>;
}
