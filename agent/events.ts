// What PM2's bus carries, pushed as it happens to the connections that subscribed (the API's
// launchBus): `process:event` when a process goes online, ends, or is acted on; the lines an app
// writes (`log:out` / `log:err`, the lines of one write in one message, which the client hands
// out one by one); and the messages an app sends with process.send (`{ type, data }` under its
// type, anything else as `process:msg`). Nothing is followed until the first subscriber comes.
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, type ProcessStatus } from './process/states.js';
import { describeProcess } from './describe.js';
import { followAllOutput } from './log-bus.js';
import type { Pm2Env, ProcessDescription } from './protocol/types.js';

/** A process as the bus tells it: PM2 names the child a reload replaced `_old_<id>`. */
type BusProcess = Omit<ProcessDescription, 'pm_id' | 'pm2_env'> & { pm_id: number | string; pm2_env: Omit<Pm2Env, 'pm_id'> & { pm_id: number | string } };

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

/**
 * The most of a line without its end the bus holds for one stream: past it, what came is sent as
 * it is (PM2 sends its chunks as they come), so output that never ends a line costs no memory.
 */
const MAX_PARTIAL_LINE = 64 * 1024;

export class ProcessEvents {
  private readonly subscribers = new Set<(event: PushedEvent) => void>();
  private following = false;
  /** Subscribers held at most (the socket server sets it to a quarter of its connections): the rest stay for commands. */
  limit = 64;

  constructor(private readonly registry: Registry) {}

  /** Subscribers now. */
  get size(): number {
    return this.subscribers.size;
  }

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

  private processEvent(event: string, process: BusProcess, manually = false): void {
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
    followAllOutput(this.registry, (proc, stream, text) => {
      if (this.subscribers.size === 0) return;
      const lines = this.lines(proc, stream, text);
      if (lines.length > 0) this.publish(stream === 'err' ? 'log:err' : 'log:out', { lines, process: origin(proc), at: Date.now() });
    });
  }

  /** The start of a line each stream has sent without its end, by process. */
  private readonly partial = new Map<SupervisedProcess, { out: string; err: string }>();

  /** The whole lines of `text`, each with its newline, after what the stream left unended. */
  private lines(proc: SupervisedProcess, stream: 'out' | 'err', text: string): string[] {
    let held = this.partial.get(proc);
    if (!held) {
      held = { out: '', err: '' };
      this.partial.set(proc, held);
      proc.once('removed', () => this.partial.delete(proc));
    }
    // whole lines come in one block, but a line longer than the sink's buffer comes in pieces
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      held[stream] += text;
      if (held[stream].length <= MAX_PARTIAL_LINE) return [];
      const piece = held[stream];
      held[stream] = '';
      return [piece];
    }
    const lines = (held[stream] + text.slice(0, end)).split('\n').map((line) => `${line}\n`);
    held[stream] = text.slice(end + 1);
    return lines;
  }

  private watch(proc: SupervisedProcess): void {
    // a reload: the replacement serves (online), then the child it replaced has ended (exit), as PM2 tells them
    proc.on('replaced', () => {
      if (this.subscribers.size > 0) this.processEvent('online', describeProcess(proc));
    });
    // the child a reload replaced: told as PM2 tells it, under `_old_<id>` and stopped, with its own
    // pid and exit code (under the live id and `online`, a monitor took the new worker for dead)
    proc.on('retired', (pid: number, code: number | null) => {
      if (this.subscribers.size === 0) return;
      const live = describeProcess(proc);
      const old = `_old_${proc.id}`;
      this.processEvent('exit', { ...live, pid, pm_id: old, pm2_env: { ...live.pm2_env, pm_id: old, status: ProcessState.STOPPED, exit_code: code ?? live.pm2_env.exit_code } });
    });
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
