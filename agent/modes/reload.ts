// Zero-downtime reload of one instance: when a replacement counts as ready, and how the child it
// replaces is retired (drained, then SIGINT, then SIGKILL after kill_timeout).
import type { ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import type { Launched, ProcessIdentityRow, ProcessOs } from '../process/os.js';

/** Resolves true once a replacement is ready (its 'ready' message with wait_ready, its first
 * listening server when the old child listened, or its start otherwise); false if it exits or
 * listen_timeout passes first. */
export function replacementReady(launched: Launched, spec: AppSpec, oldWasListening: boolean): Promise<boolean> {
  const { child, onListening } = launched;
  // without an IPC channel to say ready, a socket-activated app is ready once it stayed up
  // min_uptime: until then the old instance keeps accepting from the shared socket
  const byUptime = !spec.wait_ready && spec.listen.length > 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), byUptime ? Math.max(spec.listen_timeout, spec.min_uptime + 1000) : spec.listen_timeout);
    const settle = (ready: boolean): void => {
      clearTimeout(timer);
      resolve(ready);
    };
    child.once('exit', () => settle(false));
    child.once('error', () => settle(false));
    if (spec.wait_ready) {
      child.on('message', (message: unknown) => message === 'ready' && settle(true));
    } else if (oldWasListening && onListening) {
      if (launched.listened) settle(true);
      else onListening(() => settle(true));
    } else if (byUptime) {
      child.once('spawn', () => setTimeout(() => settle(child.exitCode === null && child.signalCode === null), spec.min_uptime));
    } else {
      child.once('spawn', () => settle(true));
    }
  });
}

/** Stops a replaced child gracefully: drain (cluster workers), then SIGINT, then SIGKILL after kill_timeout. */
export async function retire(child: ChildProcess, identity: ProcessIdentityRow, spec: AppSpec, os: ProcessOs): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bounded = (ms: number, wait: Promise<unknown>): Promise<unknown> =>
    Promise.race([wait, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
  if (child.connected) {
    child.send({ pmx: 'drain' }, () => undefined);
    await bounded(Math.max(spec.kill_timeout, DRAIN_MIN_MS), Promise.race([reply(child, 'drained'), exited]));
    // The cluster may have handed the worker a connection just before it learnt that the worker's
    // servers closed; the worker answers that hand-over (refused: it goes to another worker) only
    // while it lives. The IPC channel keeps order: once the worker answers a ping sent now, it has
    // answered every hand-over sent before, and none comes after 'drained'.
    if (child.connected) {
      child.send({ pmx: 'ping' }, () => undefined);
      await bounded(DRAIN_MIN_MS, Promise.race([reply(child, 'pong'), exited]));
    }
  }
  const snapshot = os.tree(identity);
  if (spec.shutdown_with_message && child.connected) child.send('shutdown', () => undefined);
  else os.kill([identity], 'SIGINT');
  await bounded(spec.kill_timeout, exited);
  os.kill([...os.tree(identity), ...snapshot], 'SIGKILL');
  await exited;
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

/** However short kill_timeout is, kept-alive connections get this long to finish on their own. */
const DRAIN_MIN_MS = 3000;
