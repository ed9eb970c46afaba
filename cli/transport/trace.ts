// Opt-in trace of SSH round trips, for benchmarks: with PMX_SSH_TRACE=<file> each login and each
// command appends one JSON line to that file (host, kind, label, times in epoch ms); nothing is
// written when it is unset. Never the command text, which may hold secrets: only its label.
import { appendFileSync } from 'node:fs';

/**
 * One login, channel opened ahead, or command on one host: requested -> ready spans its round
 * trips, ready -> end a command's run. `trips`: round trips in requested -> ready (a command: 2 for
 * channel open and exec request, 1 for the exec request alone on a channel opened ahead; the login
 * is not counted).
 */
export interface TraceOp {
  host: string;
  kind: 'connect' | 'open' | 'exec';
  /** What it was for: the phase, `login`, `spare channel`. */
  label: string;
  requested: number;
  ready: number;
  end: number;
  trips: number;
  /** A command that ran on a channel opened ahead (its open is the `open` line before). */
  ahead?: boolean;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const traceClock = (): number => performance.timeOrigin + performance.now();

/** Appends `op` to the trace file, if one is set; a trace that cannot be written never fails a run. */
export function traceOp(op: TraceOp): void {
  const file = process.env.PMX_SSH_TRACE;
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify(op)}\n`, { mode: 0o600 });
  } catch {
    // the run goes on without its trace
  }
}
