// The immutable context of a run (shared by every host) and of one host in it. Phases receive a
// host context and return the changes they made; the flow makes the next context from them.
import type { LockOrder } from './lock-order.js';
import type { RemoteConnection } from '../transport/types.js';
import type { LocalBundle } from './bundle.js';
import type { Emit } from './events.js';
import type { LocalArchive } from './local-git.js';
import type { LiveCommand } from './remote-live-types.js';
import type { Interruption } from './interrupt.js';
import type { HeldLock, LockAttempt } from './lock.js';
import { releaseDir, type RemotePaths } from './remote-paths.js';
import type { HostHistory } from './revisions.js';
import type { HostTarget } from '../transport/host-target.js';
import type { SecretMask } from './secret-mask.js';
import type { DeployEnvironment, RunSecrets } from './types.js';

/** The commands of `pmx deploy <env> <command>`. */
export type RunCommand = 'setup' | 'deploy' | 'revert' | 'mark-bad' | 'list' | 'curr' | 'prev' | 'exec' | 'startup';

/** What every host of a run shares; never changed once the run starts (local stages make a new one). */
export interface RunInfo {
  readonly command: RunCommand;
  readonly environment: DeployEnvironment;
  readonly paths: RemotePaths;
  /** The ref to deploy (the environment's, or the one given on the command line). */
  readonly ref: string;
  /** This run's id, in the lock's owner record: a host's commands check it before they change anything (lock.ts underRunLock). */
  readonly id: string;
  /** The time the run started: every host's release gets the same name. */
  readonly startedAt: Date;
  /** Who deploys, `user@machine`, as the lock and the revisions log show it. */
  readonly user: string;
  /** `revert n`. */
  readonly steps: number;
  /** A release named on the command line (`revert --to`, `mark-bad <release>`): a release name or a sha prefix. */
  readonly pick: string | null;
  /** `exec <cmd>`. */
  readonly execCommand: string | null;
  /** The release strategy's archive, made once locally. */
  readonly archive: LocalArchive | null;
  /** The pmx bundle to install or upgrade on hosts. */
  readonly bundle: LocalBundle | null;
  /** A deploy's env_file and secret values, read locally before any host is touched (null: none, or not a deploy, or a rehearsal). */
  readonly secrets: RunSecrets | null;
  /** Masks secret values in what the run shows and records (never in what it parses); it learns each host's values at its check. */
  readonly mask: SecretMask;
  readonly emit: Emit;
  /** Opens the SSH connection to a host (a seam for tests); aborting `signal` gives the attempt up. */
  readonly connect: (target: HostTarget, signal?: AbortSignal) => Promise<RemoteConnection>;
  /** The run's interrupt (Ctrl-C, SIGTERM). */
  readonly interruption: Interruption;
  /** --plan: commands that would change a host are reported (`planned` events) and not run; read-only checks run. */
  readonly rehearsal: boolean;
  /** Stops the commands of the phases running now: the interrupt's signal before publish, null after (what switched is finished). */
  readonly stop: AbortSignal | null;
  /** With lock_timeout, the order in which the hosts take their locks (lock-order.ts); null: all at once. */
  readonly lockOrder: LockOrder | null;
}

/** What the check phase learnt about a host. */
export interface HostFacts {
  home: string;
  node: string;
  nodeVersion: string;
  git: string;
  tar: string;
  flock: string;
  /** coreutils' (or busybox's) `timeout`: hooks need it under `hook_timeout`. */
  timeout: string;
  /** `releases/` exists: setup ran. */
  setUp: boolean;
  /** Where `current` points, as written (null when there is no link). */
  currentLink: string | null;
  /** `current` exists and is not a link (pmx will not replace it). */
  currentNotLink: boolean;
  /** PM2 deployed here: `source/` exists. */
  pm2Source: boolean;
  /** sha256 of the pmx bundle installed in ~/.pmx ('' when none). */
  bundleHash: string;
}

/** One host in a run. */
export interface HostContext {
  readonly run: RunInfo;
  readonly target: HostTarget;
  readonly connection: RemoteConnection | null;
  readonly facts: HostFacts | null;
  readonly lock: HeldLock | null;
  /** This run took the host's lock (and keeps the right to act there while the lock's record names it, even after a lost connection). */
  readonly locked: boolean;
  /** The connection was lost and opened again: a command the run started before may still run on the host (lock.ts underRunLock waits for it). */
  readonly reconnected: boolean;
  /** The lock being taken by the check's own command (deploy, revert), until the lock phase takes it over. */
  readonly pendingLock: LockAttempt | null;
  readonly history: HostHistory | null;
  readonly sha: string | null;
  /** The release this run makes current (a new one for deploy, an old one for revert). */
  readonly release: string | null;
  /** True when this run created `release` (only then may cleanup remove it). */
  readonly created: boolean;
  /** The release `current` pointed at before the run. */
  readonly previous: string | null;
  /** True once `current` was switched by this run. */
  readonly published: boolean;
  /** Publish's command when it goes on with post-deploy (and finish) on the go of the flow (remote-live.ts). */
  readonly live: LiveCommand | null;
  /** True once post-deploy started on the new release (going back then means reloading the previous one). */
  readonly reloaded: boolean;
  /** What a query command (list, curr, prev, exec, startup) found on this host. */
  readonly answer: unknown;
}

/** Fields a phase may change. */
export type HostChanges = Partial<Omit<HostContext, 'run' | 'target'>>;

/** A host's context at the start of a run. */
export function hostContext(run: RunInfo, target: HostTarget): HostContext {
  return Object.freeze({ run, target, connection: null, facts: null, lock: null, locked: false, reconnected: false, pendingLock: null, history: null, sha: null, release: null, created: false, previous: null, published: false, live: null, reloaded: false, answer: null });
}

/** A new context with `changes` applied. */
export function withChanges(ctx: HostContext, changes: HostChanges | void): HostContext {
  return changes ? Object.freeze({ ...ctx, ...changes }) : ctx;
}

/** The connection of a host that passed the check phase. */
export function connectionOf(ctx: HostContext): RemoteConnection {
  if (!ctx.connection) throw new Error('no connection (the check phase did not run)');
  return ctx.connection;
}

/** The environment of hooks: the deploy section's `env`, then SHARED, RELEASE and PREVIOUS_RELEASE. */
export function hookEnv(ctx: HostContext): Record<string, string> {
  const { paths, environment } = ctx.run;
  return {
    ...environment.env,
    SHARED: paths.shared,
    RELEASE: ctx.release ? releaseDir(paths, ctx.release) : paths.current,
    PREVIOUS_RELEASE: ctx.previous ? releaseDir(paths, ctx.previous) : '',
  };
}

/** The names of hookEnv whose `$NAME` references expand on the host (PM2's way): the deploy section's `env`, never pmx's own paths. */
export function expandingNames(ctx: HostContext): string[] {
  const own = ['SHARED', 'RELEASE', 'PREVIOUS_RELEASE'];
  return Object.keys(ctx.run.environment.env).filter((name) => !own.includes(name));
}

/** `user@hostname:port`, as the summary names a host. */
export function addressOf(target: HostTarget): string {
  return `${target.user}@${target.hostname}:${target.port}`;
}
