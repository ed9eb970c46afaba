// One health probe, run from the agent: an HTTP GET answered 2xx or 3xx, a TCP connect, or a
// command (/bin/sh -c, the app's cwd and environment, its own process group) that exits 0. Each
// settles within its timeout, and an abort (the app stopped) ends it at once, its process group
// killed.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HealthTarget } from '../protocol/app-spec.js';

/** A probe's result: passed, or why not. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** Where an exec probe runs. */
export interface ProbeContext {
  cwd: string;
  env: Record<string, string>;
}

const passed: ProbeResult = { ok: true };
const failed = (reason: string): ProbeResult => ({ ok: false, reason });

/** Runs `target` once; never rejects. */
export function runProbe(target: HealthTarget, timeoutMs: number, context: ProbeContext, signal: AbortSignal): Promise<ProbeResult> {
  if ('http' in target) return probeHttp(target.http, timeoutMs, signal);
  if ('tcp' in target) return probeTcp(target.tcp.host, target.tcp.port, timeoutMs, signal);
  return probeExec(target.exec, timeoutMs, context, signal);
}

function probeHttp(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    // no keep-alive: a probe must not hold a connection (nor a worker of a cluster) between checks
    const req = request(url, { method: 'GET', agent: false, signal, headers: { 'user-agent': 'pmx-health' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      resolve(status >= 200 && status < 400 ? passed : failed(`HTTP ${status} from ${url}`));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.once('close', () => clearTimeout(timer));
    req.once('error', (error) => resolve(failed(`GET ${url}: ${error.message}`)));
    req.end();
  });
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
      // what the command left running in its group goes with it
      killGroup();
      if (cut) settle(failed(`command ${cut}`));
      else if (code === 0) settle(passed);
      else settle(failed(`command ${exitSignal ? `was killed by ${exitSignal}` : `exited with code ${code}`}`));
    });
  });
}
