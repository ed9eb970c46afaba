// The shapes of a deploy path's history: the revisions log's lines, the releases read from a
// host, and the ledger `pmx deploy <env> list` shows. Types only, so that revisions.ts (which reads
// the history) and ledger.ts (which draws the ledger from it) can share them without importing
// each other.

/** What a run did to a host. */
export type RevisionAction = 'deploy' | 'revert' | 'mark-bad';
/** How it ended for that host (`cancelled` is written by earlier versions for what is now `aborted`). */
export type RevisionResult = 'success' | 'failed' | 'cancelled' | 'rolled-back' | 'aborted' | 'bad';

/** One line of the revisions log. */
export interface Revision {
  time: string;
  action: RevisionAction;
  /** Null for a run that ended before it named its release (interrupted or failed in check, lock or fetch). */
  release: string | null;
  ref: string | null;
  sha: string | null;
  user: string;
  result: RevisionResult;
  /** The release `current` pointed at before. */
  from: string | null;
  message?: string;
}

/** A release that can be served: its directory exists and it was deployed successfully (or taken over from PM2), or it is current. */
export interface ReleaseInfo {
  name: string;
  sha: string | null;
  deployedAt: string | null;
  user: string | null;
  current: boolean;
  /** Marked bad (`mark-bad`, or its health check failed on this host): revert never picks it. */
  bad?: boolean;
}

/** A host's releases, oldest first, and what `current` points at. */
export interface HostHistory {
  current: string | null;
  /** The sha in current's REVISION file, when it has one. */
  currentSha?: string | null;
  releases: ReleaseInfo[];
  /** Release directories that are neither successful nor current (left by an interrupted run). */
  leftovers: string[];
  /** PM2's `.deploys` (short shas, oldest first) when PM2 deployed this path before. */
  pm2Deploys: string[];
  /** Every release the ledger and the disk know, newest first, with how its deploy ended. */
  ledger?: LedgerEntry[];
}

/** How a release's deploy ended on a host, as the list shows it. */
export type LedgerResult = 'ok' | 'failed' | 'rolled back' | 'aborted' | 'bad' | 'unrecorded';

/** One release (or one attempt that ended before it named a release) on one host. */
export interface LedgerEntry {
  release: string | null;
  sha: string | null;
  /** When the deploy was recorded (null for a release the ledger has no line for). */
  time: string | null;
  ref: string | null;
  user: string | null;
  result: LedgerResult;
  current: boolean;
  /** Its directory is still on the host (only those can be reverted to). */
  onDisk: boolean;
  message: string | null;
}
