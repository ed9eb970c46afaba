// Running one command on a host for a phase: the PATH with the pmx launcher first, output
// streamed as prefixed lines with the run's secret values masked, stopped (with all it started)
// by an interrupt while the run allows it, a failure turned into a DeployStepError that names the
// host. The result is returned as the host printed it, for pmx to parse: what is shown or
// recorded of it is masked there (the run's events, outcomes and ledger messages).
import type { Readable } from 'node:stream';
import { lineSplitter } from '../shared/line-splitter.js';
import type { ExecResult } from '../transport/types.js';
import { connectionOf, type HostContext } from './context.js';
import type { PhaseName } from './events.js';
import { PATH_EXPORT } from './hook-command.js';
import { LOST_LOCK, NOT_THIS_RUN, underRunLock } from './lock.js';
import { DeployStepError, lastLines, type DeployStepCode } from './run-error.js';

/** How to run a command. */
export interface RemoteOptions {
  /** What the command does, for the error message (`git fetch`, `the pre-deploy hook`). */
  what: string;
  /** Stream each output line as an `output` event. */
  stream?: boolean;
  stdin?: Readable | string | Buffer;
  timeoutMs?: number;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** The error code of a non-zero exit. */
  code?: DeployStepCode;
  /** The command changes nothing on the host: a rehearsal (--plan) runs it too. */
  readOnly?: boolean;
  /** What a rehearsal answers for this command instead of running it (its stdout; default none). */
  rehearsed?: string;
}

/** Runs `command` on the host; resolves with its result, or throws naming host, phase and cause. */
export async function runOn(ctx: HostContext, phase: PhaseName, command: string, options: RemoteOptions): Promise<ExecResult> {
  const host = ctx.target.label;
  if (ctx.run.rehearsal && !options.readOnly) {
    if (options.stdin && typeof options.stdin === 'object' && 'destroy' in options.stdin) options.stdin.destroy();
    ctx.run.emit({ kind: 'planned', host, phase, command });
    return { code: 0, signal: null, stdout: options.rehearsed ?? '', stderr: '' };
  }
  const emitLine = (line: string): void => ctx.run.emit({ kind: 'output', host, phase, line });
  const out = options.stream ? lineSplitter(emitLine) : null;
  const err = options.stream ? lineSplitter(emitLine) : null;
  const guarded = options.readOnly ? command : underThisRun(ctx, command);
  const result = await connectionOf(ctx).exec(`${PATH_EXPORT} ${guarded}`, {
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    label: phase,
    ...(ctx.run.stop ? { signal: ctx.run.stop } : {}),
    ...(out && err ? { onStdout: out.push, onStderr: err.push } : {}),
  });
  out?.flush();
  err?.flush();
  // refused by underRunLock: another deploy holds the lock now, whatever the command allowed
  if (guarded !== command && result.code === NOT_THIS_RUN && result.stderr.includes(LOST_LOCK)) throw failureOf(host, options.what, result, 'LOCKED', phase);
  if (result.code !== 0 && !options.allowFailure) throw failureOf(host, options.what, result, options.code, phase);
  return result;
}

/** A command that changes the host, as the run sends it: under the run's lock once it holds one, even if it outlives the run (lock.ts). */
export function underThisRun(ctx: HostContext, command: string): string {
  return ctx.locked ? underRunLock(ctx.run.paths, ctx.run.id, command, ctx.reconnected) : command;
}

/** Causes a command's last line can hide (tar ends with "Exiting with failure status due to previous errors"). */
const SYSTEM_CAUSE = /No space left on device|Disk quota exceeded|Read-only file system|Permission denied|Too many open files|Cannot allocate memory/;

/** The error of a command that exited non-zero: what failed, its status and the line that says why (a system cause it printed, else its last line). */
export function failureOf(host: string, what: string, result: ExecResult, code: DeployStepCode = 'COMMAND_FAILED', phase?: string): DeployStepError {
  const output = lastLines(`${result.stdout}\n${result.stderr}`);
  const cause = result.stderr.split('\n').filter((line) => SYSTEM_CAUSE.test(line)).pop()?.trim();
  const why = cause || lastLines(result.stderr, 1) || lastLines(result.stdout, 1);
  const status = result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
  return new DeployStepError(`${what} failed (${status})${why ? `: ${why}` : ''}`, { code, host, ...(phase ? { phase } : {}), output });
}
