// One child's health probe, run from the agent: an HTTP GET answered 2xx or 3xx (http-probe.ts), a
// TCP connect, or a command (/bin/sh -c, the app's cwd and environment, its own process group) that
// exits 0. Each settles within its timeout, and an abort (the app stopped) ends it at once, its
// process group killed.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { HealthTarget } from '../protocol/app-spec.js';
import { HttpProbe } from './http-probe.js';
import { failed, passed, type ProbeResult } from './probe-result.js';

export type { ProbeResult } from './probe-result.js';

/** Where an exec probe runs. */
export interface ProbeContext {
  cwd: string;
  env: Record<string, string>;
  /** Called when an exec probe's command has ended: what it left outside its process group (setsid) is ended. */
  afterExec?: () => void;
}

/** The probe of one child's target, run again and again; what it holds between runs (an HTTP connection) goes with close(). */
export interface Prober {
  /** Runs the probe once; never rejects. */
  run(timeoutMs: number, signal: AbortSignal): Promise<ProbeResult>;
  close(): void;
}

/** The prober of `target`. */
export function prober(target: HealthTarget, context: ProbeContext): Prober {
  const probe = probeOf(target, context);
  return {
    // a probe that throws (a spawn refused at once, a URL the agent cannot use) is a failed probe, never the agent's crash
    run: (timeoutMs, signal) => probe.run(timeoutMs, signal).catch((error: unknown) => failed(`cannot probe: ${(error as Error).message}`)),
    close: () => probe.close(),
  };
}

const holdsNothing = (): void => undefined;

function probeOf(target: HealthTarget, context: ProbeContext): Prober {
  if ('tcp' in target) return { run: (timeoutMs, signal) => probeTcp(target.tcp.host, target.tcp.port, timeoutMs, signal), close: holdsNothing };
  if ('exec' in target) return { run: (timeoutMs, signal) => probeExec(target.exec, timeoutMs, context, signal), close: holdsNothing };
  try {
    return new HttpProbe(target.http);
  } catch (error) {
    return { run: () => Promise.reject(error as Error), close: holdsNothing };
  }
}

function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, signal });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      socket.destroy();
      resolve(passed);
    });
    socket.once('error', (error) => resolve(failed(`connect ${host}:${port}: ${error.message}`)));
    socket.once('close', () => clearTimeout(timer));
  });
}

function probeExec(command: string, timeoutMs: number, context: ProbeContext, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: context.cwd, env: context.env, stdio: 'ignore', detached: true });
    let cut: string | null = null;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      cut = `did not finish within ${timeoutMs} ms`;
      killGroup();
    }, timeoutMs);
    const onAbort = (): void => {
      cut = 'was stopped with the app';
      killGroup();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (result: ProbeResult): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.once('error', (error) => settle(failed(`cannot run the command: ${error.message}`)));
    child.once('exit', (code, exitSignal) => {
      // what the command left running in its group goes with it, and what left the group by its marker
      killGroup();
      context.afterExec?.();
      if (cut) settle(failed(`command ${cut}`));
      else if (code === 0) settle(passed);
      else settle(failed(`command ${exitSignal ? `was killed by ${exitSignal}` : `exited with code ${code}`}`));
    });
  });
}
