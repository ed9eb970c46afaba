// One health probe, run from the agent: an HTTP GET answered 2xx or 3xx, a TCP connect, or a
// command (/bin/sh -c, the app's cwd and environment, its own process group) that exits 0. Each
// settles within its timeout, and an abort (the app stopped) ends it at once, its process group
// killed.
import { spawn } from 'node:child_process';
import { connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { redactUrl, type HealthTarget } from '../protocol/app-spec.js';

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
  const probe =
    'http' in target ? probeHttp(target.http, timeoutMs, signal)
    : 'tcp' in target ? probeTcp(target.tcp.host, target.tcp.port, timeoutMs, signal)
    : probeExec(target.exec, timeoutMs, context, signal);
  // a probe that throws (a spawn refused at once, a URL the agent cannot use) is a failed probe, never the agent's crash
  return probe.catch((error: unknown) => failed(`cannot probe: ${(error as Error).message}`));
}

/**
 * An HTTP GET written on a plain socket (TLS for https) and read up to its status line: a fraction
 * of node:http's work per probe, and an agent may probe many apps every second.
 */
function probeHttp(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(target.port) || (secure ? 443 : 80);
    // user:password in the URL is sent as Basic authorization, and never shown
    const shown = redactUrl(url);
    const authorization = target.username || target.password ? `Authorization: Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}\r\n` : '';
    const socket = secure ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }) }) : connect({ host, port });
    let head = '';
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => settle(failed(`GET ${shown}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => settle(failed(`GET ${shown}: stopped with the app`));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      // no keep-alive: a probe holds no connection (nor a cluster worker) between checks
      socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: pmx-health\r\n${authorization}Connection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end === -1 && head.length < MAX_STATUS_LINE) return;
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head)?.[1];
      if (!status) settle(failed(`GET ${shown}: not an HTTP answer`));
      else settle(Number(status) >= 200 && Number(status) < 400 ? passed : failed(`HTTP ${status} from ${shown}`));
    });
    socket.once('end', () => settle(failed(`GET ${shown}: the connection closed without an answer`)));
    socket.once('error', (error) => settle(failed(`GET ${shown}: ${error.message}`)));
  });
}

/** A status line longer than this is not one. */
const MAX_STATUS_LINE = 1024;

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
