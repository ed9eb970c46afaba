// Process and readiness helpers: liveness by pid, detached spawning, polling waits, TCP readiness.
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Exit promises of the detached children this process spawned, by pid (so waits see the real reaping). */
const childExits = new Map<number, Promise<void>>();

/** Fields of /proc/<pid>/stat after the command name, or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** True while pid names a running process (a zombie counts as gone: only its parent can reap it). */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z' && f[0] !== 'X';
}

/** Start time of pid in clock ticks since boot (tells a pid apart from a later reuse), or null. */
export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** Poll predicate every intervalMs until it is true; throws describe() after timeoutMs. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One TCP connect attempt; resolves true when it connects within timeoutMs. */
export function tryConnect(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Wait until address:port accepts TCP connections (connect loop); fail early if stillStarting() says no. */
export async function waitForPort(
  address: string,
  port: number,
  timeoutMs = 10_000,
  stillStarting: () => boolean = () => true,
): Promise<void> {
  let gaveUp = false;
  await waitUntil(
    async () => {
      if (await tryConnect(address, port, 500)) return true;
      if (!stillStarting()) gaveUp = true;
      return gaveUp;
    },
    timeoutMs,
    () => `nothing listens on ${address}:${port} after ${timeoutMs} ms`,
    15,
  );
  if (gaveUp) throw new Error(`the process meant to listen on ${address}:${port} exited`);
}

/** Spawn a long-lived child that does not keep this process alive; its exit is tracked by pid. */
export function spawnDetached(cmd: string, args: readonly string[], stdio: StdioOptions) {
  const child = spawn(cmd, args, { stdio, cwd: '/' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const pid = child.pid;
  if (pid !== undefined) {
    childExits.set(pid, exited);
    void exited.then(() => childExits.delete(pid));
  }
  child.unref();
  return { child, pid, exited };
}

/** Wait until pid is gone (our own children: until reaped, so no zombie is left behind). */
export async function waitPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const own = childExits.get(pid);
  const check = () => !isAlive(pid) && !childExits.has(pid);
  if (own) await Promise.race([own, new Promise((r) => setTimeout(r, timeoutMs))]);
  try {
    await waitUntil(check, own ? 50 : timeoutMs, () => `pid ${pid} still alive`);
    return true;
  } catch {
    return false;
  }
}

/** Send a signal to pid, ignoring a process that is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
