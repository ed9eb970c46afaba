// Zero-downtime reload, the parts that talk to the children: when a replacement counts as ready,
// and how a replaced cluster worker is drained before the stop path ends it. The state machine
// (process/replacement.ts) decides everything else: timeouts, failures, what a racing request does.
import type { ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import { listens } from '../os/listening.js';
import type { Launched } from '../process/os.js';
import type { NotifySocket } from '../health/notify-socket.js';
import type { NotifyMessage } from '../health/notify-message.js';

/**
 * Calls `ready` once a reload's new child is ready (a replacement, or in fork mode the child its
 * restart launched): its 'ready' message (or READY=1 on its notify socket) with wait_ready; a
 * cluster worker's first listening server, or, when no worker of the process has listened yet (the
 * one it replaces included), that or having stayed up min_uptime, whichever comes first (a worker
 * that serves no port is ready once up); a socket-activated one, having stayed up min_uptime; a
 * fork-mode child, once it listens (read from /proc) or stayed up min_uptime, whichever comes
 * first. Never, if it exits first.
 */
export function watchReadiness(launched: Launched, spec: AppSpec, servesPort: boolean, notify: NotifySocket | null, ready: () => void): void {
  const { child, onListening } = launched;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  if (spec.wait_ready) {
    const onMessage = (message: unknown): void => {
      if (message !== 'ready') return;
      said();
    };
    const onNotify = (message: NotifyMessage): void => {
      if (message.ready) said();
    };
    const said = (): void => {
      child.off('message', onMessage);
      notify?.off('message', onNotify);
      ready();
    };
    child.on('message', onMessage);
    notify?.on('message', onNotify);
  } else if (onListening) {
    let told = false;
    const once = (): void => {
      if (told || !alive()) return;
      told = true;
      ready();
    };
    if (launched.listened) queueMicrotask(once);
    else onListening(once);
    // a worker that serves no port is ready once it stayed up
    if (!servesPort) setTimeout(once, spec.min_uptime).unref();
  } else if (spec.listen.length > 0) {
    // without an IPC channel to say ready, a socket-activated app is ready once it stayed up
    // min_uptime: until then the old child keeps accepting from the shared socket
    child.once('spawn', () => setTimeout(() => alive() && ready(), spec.min_uptime));
  } else {
    // a fork-mode child: as a cluster worker none of whose kind has listened yet
    child.once('spawn', () => readyOnceListening(child, spec.min_uptime, alive, ready));
  }
}

/** How often a fork-mode child is looked at for a listening socket while its reload waits. */
const LISTEN_POLL_MS = 25;

/**
 * Calls `ready` once the child listens (a port or a Unix socket of its own, read from /proc) or has
 * stayed up `minUptime`, whichever comes first; never if it exits first. Where /proc cannot tell,
 * at `minUptime`.
 */
function readyOnceListening(child: ChildProcess, minUptime: number, alive: () => boolean, ready: () => void): void {
  let settled = false;
  const settle = (): void => {
    if (settled) return;
    settled = true;
    clearTimeout(uptime);
    if (alive()) ready();
  };
  const uptime = setTimeout(settle, minUptime);
  uptime.unref();
  const poll = async (): Promise<void> => {
    while (!settled && alive()) {
      const listening = await listens(child.pid!);
      if (listening === null) return;
      if (listening) return settle();
      await new Promise((resolve) => setTimeout(resolve, LISTEN_POLL_MS).unref());
    }
  };
  void poll();
}

/**
 * Asks a replaced cluster worker to finish its connections and resolves once it has (or has
 * exited, or `drain_timeout` passed: then false, and what it still holds is cut by the stop that
 * follows). At once for any other child, and for a worker that never listened: it has no
 * connection to finish, and may not have loaded the preload that would answer.
 */
export async function drain(launched: Launched, spec: AppSpec): Promise<boolean> {
  const { child } = launched;
  if (!launched.onListening || !launched.listened || !child.connected) return true;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const bounded = (ms: number, wait: Promise<unknown>): Promise<unknown> =>
    Promise.race([wait, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
  child.send({ pmx: 'drain' }, () => undefined);
  const done = await bounded(drainBound(spec), Promise.race([reply(child, 'drained'), exited]).then(() => true));
  // The cluster may have handed the worker a connection just before it learnt that the worker's
  // servers closed; the worker answers that hand-over (refused: it goes to another worker) only
  // while it lives. The IPC channel keeps order: once the worker answers a ping sent now, it has
  // answered every hand-over sent before, and none comes after 'drained'.
  if (child.connected) {
    child.send({ pmx: 'ping' }, () => undefined);
    await bounded(DRAIN_MIN_MS, Promise.race([reply(child, 'pong'), exited]));
  }
  return done === true;
}

/** Resolves at the child's first message `{ pmx: kind }`. */
function reply(child: ChildProcess, kind: string): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if ((message as { pmx?: string } | null)?.pmx !== kind) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
  });
}

/** However short drain_timeout is, kept-alive connections get this long to finish on their own. */
const DRAIN_MIN_MS = 3000;
/** drain_timeout of a spec from before it existed (a dump, a state file). */
const DRAIN_DEFAULT_MS = 30_000;

/** How long a replaced worker is given to finish its connections: drain_timeout, at least DRAIN_MIN_MS, at most what a timer holds. */
export function drainBound(spec: AppSpec): number {
  return Math.min(Math.max(spec.drain_timeout ?? DRAIN_DEFAULT_MS, DRAIN_MIN_MS), MAX_TIMER_MS);
}
