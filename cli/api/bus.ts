// The event bus of the programmatic API (PM2's launchBus): a connection subscribed to the agent,
// which pushes each event as it happens (agent/events.ts). Packets are PM2's: `process:event` with
// the process's `pm2_env` keys, `log:out` / `log:err` per line, and what apps send with
// process.send under its `type` (or `process:msg`). `bus.on('*', (event, packet) => ...)` hears
// them all, as on PM2's bus, and a pattern such as `log:*` those it matches, handed the matched part
// first (`(type, packet)`). When the agent goes away, the bus connects again to the next one. A
// bus that falls far behind a flood is told what it missed (`pmx:dropped`, with the count).
import { EventEmitter } from 'node:events';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { toPm2Shape } from '../output/pm2-shape.js';
import type { AgentConnection } from '../client/connection.js';

/** The process a bus packet is about, as PM2 describes it: its `pm2_env` keys (status, restart_time, exit_code, ...). */
export interface BusProcess {
  name: string;
  pm_id: number;
  namespace: string;
  [key: string]: unknown;
}

/**
 * `process:event`: `event` is PM2's ('start', 'online', 'exit', 'stop', 'restart', 'reload',
 * 'delete', 'restart overlimit'), `manually` true when a command did it, `status` the process's
 * status when it was told.
 */
export interface ProcessEventPacket {
  event: string;
  manually: boolean;
  status: string;
  process: BusProcess;
  at: number;
}

/** `log:out` / `log:err`: one line the app wrote, with its newline. */
export interface LogPacket {
  data: string;
  process: BusProcess;
  at: number;
}

/** The bus: an EventEmitter of 'process:event', 'log:out', 'log:err', the apps' message types and '*'; close() stops it. */
export interface Bus extends EventEmitter {
  close(): void;
  /** Resolves once the bus is subscribed to an agent: at once, or when it has reached the next agent after its own went away. */
  connected(): Promise<void>;
}

/** How long the bus waits before each try to reach the next agent after its own went away (then every second). */
const RECONNECT_MS = [50, 100, 200, 500, 1000];

/** Starts a bus on connections that `open` makes (the first one now); rejects when the first cannot subscribe. */
export async function startBus(open: () => Promise<AgentConnection>): Promise<Bus> {
  const bus = new EventEmitter() as Bus;
  const emit = bus.emit.bind(bus);
  const patterns = wildcards(bus);
  // PM2's bus is a wildcard emitter: a '*' listener hears (event, packet) for every event
  bus.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    const heard = event !== 'error' && emit('*', event, ...args);
    const matched = typeof event === 'string' && event !== 'error' && patterns(event, args);
    return emit(event, ...args) || heard || matched;
  };
  let closed = false;
  let connection: AgentConnection | null = null;
  let timer: NodeJS.Timeout | null = null;
  let tries = 0;
  const reconnected: Array<() => void> = [];

  const attach = async (): Promise<void> => {
    const opened = await open();
    if (closed) return opened.close();
    connection = opened;
    opened.onClose(() => {
      if (closed || connection !== opened) return;
      connection = null;
      tries = 0;
      retry();
    });
    try {
      await opened.subscribe((event, data) => {
        if (!closed) unpack(event, data, (name, packet) => bus.emit(name, packet));
      });
    } catch (error) {
      // refused (too many buses): the connection is not kept open for nothing
      connection = null;
      opened.close();
      throw error;
    }
    for (const resolve of reconnected.splice(0)) resolve();
  };
  const retry = (): void => {
    timer = setTimeout(() => {
      timer = null;
      if (!closed) attach().catch(retry);
    }, RECONNECT_MS[Math.min(tries++, RECONNECT_MS.length - 1)]);
  };

  await attach();
  bus.connected = () => (connection ? Promise.resolve() : new Promise((resolve) => reconnected.push(resolve)));
  bus.close = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    connection?.close();
    connection = null;
  };
  return bus;
}

type Listener = (...args: unknown[]) => void;

/**
 * PM2's bus (axon's sub-emitter) matches patterns: `bus.on('log:*', (type, packet) => ...)` hears
 * `log:out`, `log:err`, ..., and is handed what each `*` matched first. Listeners of a pattern (an
 * event name with a `*`, other than '*' alone) are kept apart from the emitter's own; the returned
 * function calls those matching an event, and says whether any did.
 */
function wildcards(bus: EventEmitter): (event: string, args: unknown[]) => boolean {
  const listeners: { event: string; re: RegExp; fn: Listener }[] = [];
  const on = bus.on.bind(bus);
  const off = bus.removeListener.bind(bus);
  const isPattern = (event: string | symbol): event is string => typeof event === 'string' && event !== '*' && event.includes('*');
  bus.on = bus.addListener = (event: string | symbol, fn: Listener) => {
    if (!isPattern(event)) return on(event, fn);
    const source = event.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('(.+)');
    listeners.push({ event, re: new RegExp(`^${source}$`), fn });
    return bus;
  };
  bus.removeListener = bus.off = (event: string | symbol, fn: Listener) => {
    if (!isPattern(event)) return off(event, fn);
    const at = listeners.findIndex((listener) => listener.event === event && (listener.fn === fn || (listener.fn as { listener?: Listener }).listener === fn));
    if (at >= 0) listeners.splice(at, 1);
    return bus;
  };
  return (event, args) => {
    let heard = false;
    for (const { re, fn } of [...listeners]) {
      const match = re.exec(event);
      if (!match) continue;
      heard = true;
      fn.apply(bus, [...match.slice(1), ...args]);
    }
    return heard;
  };
}

/**
 * What the agent pushed, as the packets PM2's bus hands its listeners: a process event with the
 * process in PM2's shape, each line of a write as its own packet, anything else as it came.
 */
export function unpack(event: string, data: unknown, emit: (event: string, packet: unknown) => void): void {
  if (event === 'process:event') emit(event, processPacket(data as AgentProcessEvent));
  else if (event === 'log:out' || event === 'log:err') {
    const { lines, process, at } = data as AgentLogLines;
    for (const line of lines) emit(event, { data: line, process, at } satisfies LogPacket);
  } else emit(event, data);
}

/** Lines as the agent pushes them: those of one write, each with its newline. */
interface AgentLogLines {
  lines: string[];
  process: BusProcess;
  at: number;
}

/** A process event as the agent pushes it: the process in the agent's own description. */
interface AgentProcessEvent {
  event: string;
  manually: boolean;
  process: ProcessDescription;
  at: number;
}

/** PM2's packet: the process as its `pm2_env` without `env` (what PM2's Utility.formatCLU gives). */
function processPacket({ event, manually, process: proc, at }: AgentProcessEvent): ProcessEventPacket {
  const { env: _env, ...pm2Env } = toPm2Shape(proc).pm2_env;
  return { event, manually, status: proc.pm2_env.status, process: { ...pm2Env, name: proc.name, pm_id: proc.pm_id, namespace: proc.pm2_env.namespace }, at };
}
