// One child of a supervised process as the agent holds it: the launched process, its identity
// (so that a reused pid is never signalled), and the descendants to kill with it. The one stop
// path for every child, whatever its role: the stop signal, then SIGKILL to its whole tree.
import type { AppSpec } from '../protocol/app-spec.js';
import type { Launched, ProcessIdentityRow as ProcessIdentity, ProcessOs } from './os.js';
import type { ChildLiveness } from './liveness.js';
import type { NotifySocket } from '../health/notify-socket.js';
import type { AppNotice } from '../protocol/types.js';

export interface ChildHandle {
  launched: Launched;
  /** Null until the fork succeeded (then never again). */
  identity: ProcessIdentity | null;
  /** Descendants seen when the stop began: killed too if they outlive the child. */
  stopSnapshot: ProcessIdentity[];
  /** Descendants the monitor last saw while this child was current: a crash's leftovers that left the process group. */
  sampled: ProcessIdentity[];
  /** Its hang watch and health check, when the spec asks for them; stopped when it exits. */
  liveness: ChildLiveness | null;
  /** Its notify socket (`notify`, `watchdog`), closed and removed when it exits; and what it said there. */
  notify: NotifySocket | null;
  notice: AppNotice | null;
  /** The environment its exec probe runs with: PMX_PID follows the main process (MAINPID=). */
  probeEnv: Record<string, string>;
  /** The process pmx started, once MAINPID= named another main process: it ends with the launch (systemd ends the whole unit). */
  launcher: ProcessIdentity | null;
  /** When this agent launched it (os time); null: adopted from an agent that died, launched who knows when. */
  launchedAt: number | null;
  /** Armed when it said STOPPING=1: it is restarted if it has not exited by then. */
  stopDeadline?: NodeJS.Timeout;
}

/** A handle for a child that was just launched. */
export function handleFor(launched: Launched, os: ProcessOs, notify: NotifySocket | null, launchedAt: number | null): ChildHandle {
  const pid = launched.child.pid;
  const notice: AppNotice | null = notify ? { state: 'starting', status: null } : null;
  return { launched, identity: pid === undefined ? null : os.identify(pid), stopSnapshot: [], sampled: [], liveness: null, notify, notice, probeEnv: {}, launcher: null, launchedAt };
}

/** True once the child has exited. */
export function hasExited(handle: ChildHandle): boolean {
  const { child } = handle.launched;
  return child.exitCode !== null || child.signalCode !== null;
}

/** Asks the child to stop: the 'shutdown' message with shutdown_with_message (SIGINT if it cannot be sent), else SIGINT. */
export function sendStop(handle: ChildHandle, spec: AppSpec, os: ProcessOs): void {
  const { child } = handle.launched;
  const root = handle.identity;
  if (!root || hasExited(handle)) return;
  handle.stopSnapshot = os.tree(root).filter((member) => member.pid !== root.pid);
  if (spec.shutdown_with_message && child.connected) {
    child.send('shutdown', (error) => {
      if (error && !hasExited(handle)) child.kill('SIGINT');
    });
    return;
  }
  child.kill('SIGINT');
}

/** SIGKILLs the child's tree, what the stop snapshot and the monitor saw of it included, and whatever carries its launch's marker. */
export function killTree(handle: ChildHandle, os: ProcessOs): void {
  const root = handle.identity;
  if (!root) return;
  // identities are checked again before each signal: a reaped pid that was reused is spared
  os.kill([...os.tree(root), ...handle.stopSnapshot, ...handle.sampled, ...(handle.launcher ? [handle.launcher] : [])], 'SIGKILL');
  // and what left the tree before anyone saw it (a double fork, setsid) is found by its launch's marker
  if (handle.launched.marker) os.sweep(handle.launched.marker);
}
