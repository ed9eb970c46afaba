// What PM2's bus carries, pushed as it happens to the connections that subscribed (the API's
// launchBus): `process:event` when a process goes online, ends, or is acted on; `log:out` /
// `log:err` for each line an app writes; and the messages an app sends with process.send
// (`{ type, data }` under its type, anything else as `process:msg`). Nothing is followed until the
// first subscriber comes.
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, type ProcessStatus } from './process/states.js';
import { describeProcess } from './describe.js';
import { followAllOutput } from './log-bus.js';
import type { ProcessDescription } from './protocol/types.js';

/** One pushed message: `event` is the bus's event name, `data` its packet. */
export interface PushedEvent {
  event: string;
  data: unknown;
}

/** The process a log line or a message is from, as PM2 names it in those packets. */
interface Origin {
  name: string;
  pm_id: number;
  namespace: string;
}

/** PM2's names of the actions a command carries out, told after the command is done (as PM2's client does). */
export type ToldAction = 'start' | 'stop' | 'restart' | 'reload' | 'delete';

export class ProcessEvents {
  private readonly subscribers = new Set<(event: PushedEvent) => void>();
  private following = false;

  constructor(private readonly registry: Registry) {}

  /** Sends every event from now on to `send`; returns the function that stops. */
  subscribe(send: (event: PushedEvent) => void): () => void {
    this.subscribers.add(send);
    if (!this.following) this.follow();
    return () => this.subscribers.delete(send);
  }

  /** A command did `action` to `procs` (`manually`, in PM2's words). */
  told(action: ToldAction, procs: readonly SupervisedProcess[]): void {
    if (this.subscribers.size === 0) return;
    for (const proc of procs) this.processEvent(action, describeProcess(proc), true);
  }

  private processEvent(event: string, process: ProcessDescription, manually = false): void {
    this.publish('process:event', { event, manually, process, at: Date.now() });
  }

  private publish(event: string, data: unknown): void {
    for (const send of this.subscribers) send({ event, data });
  }

  /** Listens to every process, present and to come; kept once begun (each listener costs a check while nobody subscribes). */
  private follow(): void {
    this.following = true;
    for (const proc of this.registry.all()) this.watch(proc);
    this.registry.added.add((proc) => this.watch(proc));
    const partial = new Map<string, string>();
    followAllOutput(this.registry, (proc, stream, text) => {
      if (this.subscribers.size === 0) return;
      const key = `${proc.id}:${stream}`;
      // whole lines come in one block, but a line longer than the sink's buffer comes in pieces
      const lines = ((partial.get(key) ?? '') + text).split('\n');
      const rest = lines.pop()!;
      if (rest === '') partial.delete(key);
      else partial.set(key, rest);
      const from = origin(proc);
      const kind = stream === 'err' ? 'log:err' : 'log:out';
      for (const line of lines) this.publish(kind, { data: `${line}\n`, process: from, at: Date.now() });
    });
  }

  private watch(proc: SupervisedProcess): void {
    proc.on('status', (status: ProcessStatus, previous: ProcessStatus) => {
      if (this.subscribers.size === 0) return;
      // a reload's end (replacing -> online) is told as 'reload' by the command
      if (status === ProcessState.ONLINE && previous !== ProcessState.REPLACING) this.processEvent('online', describeProcess(proc));
      // PM2's word for a process that will not be started again by itself
      if (status === ProcessState.ERRORED && previous !== ProcessState.STOPPED) this.processEvent('restart overlimit', describeProcess(proc));
    });
    proc.on('exit', () => {
      if (this.subscribers.size === 0) return;
      // described once the exit has been taken in (stopped, waiting restart, errored), as PM2 tells
      // it; when the next child is already launching, the packet is still about the run that ended
      const restarts = proc.lifecycle.restarts;
      queueMicrotask(() => {
        const ended = describeProcess(proc);
        if (ended.pm2_env.status === ProcessState.LAUNCHING) ended.pm2_env.status = ProcessState.STOPPED;
        ended.pm2_env.restart_time = restarts;
        this.processEvent('exit', ended);
      });
    });
    proc.on('message', (message: unknown) => {
      if (this.subscribers.size === 0) return;
      const from = origin(proc);
      const typed = message !== null && typeof message === 'object' && 'type' in message && 'data' in message && typeof message.type === 'string' && message.type !== '';
      if (typed) this.publish(message.type as string, { at: Date.now(), data: (message as { data: unknown }).data, process: from });
      else this.publish('process:msg', { at: Date.now(), raw: message, process: from });
    });
  }
}

function origin(proc: SupervisedProcess): Origin {
  return { name: proc.spec.name, pm_id: proc.id, namespace: proc.spec.namespace };
}
