// Reaching the local agent: connect to its socket; when nothing answers, wait for an agent that
// holds the home's lock (it is starting, or making its deleted socket again) and start one only
// when none holds it; refuse an agent that speaks another protocol version.
import { mkdirSync, openSync, closeSync, readFileSync, readdirSync, chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentHome } from '../../agent/protocol/home.js';
import { guardHome } from '../../agent/protocol/home-guard.js';
import { PROTOCOL_VERSION, type Methods } from '../../agent/protocol/types.js';
import { AGENT_MARKER, AGENT_NODE_FLAGS, TO_STOP_FLAG, parseReadyLine, type RecoveryReport } from '../../agent/protocol/launch.js';
import { lockHeld, lockHolder, readAgentPid } from '../../agent/protocol/lock-probe.js';
import { AgentConnection } from './connection.js';
import { CliError } from './errors.js';
import { formatRecovery } from '../output/recovery.js';

/** How long a started agent may take to say it is ready, and an answer to `hello`. */
const START_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 5_000;
/** How long in all an agent that is busy (its CPU time still growing) is waited for to answer `hello`. */
const BUSY_WAIT_MS = 60_000;
/** Agents this command may start in a row, each time another agent won the home and then ended. */
const MAX_STARTS = 3;
const RETRY_MS = 25;

export interface ConnectOptions {
  /** Start the agent when no agent runs (false for `ping`-like probes and `kill`). */
  spawn: boolean;
  /** Accept an agent of another protocol version (`pmx update` must talk to it). */
  anyVersion?: boolean;
  /** How long to wait for a running agent's socket to answer (default START_TIMEOUT_MS). */
  waitMs?: number;
  /** An agent started here is only to stop what the one before left: it restarts nothing (`pmx kill`). */
  toStop?: boolean;
}

/** A live agent: its connection, its answer to `hello`, and whether this command started it. */
export interface FoundAgent {
  connection: AgentConnection;
  pid: number;
  version: string;
  /** It runs in the foreground (pmx-runtime): an init system or a container runs it, not this CLI. */
  foreground: boolean;
  /** What runs a foreground agent and would start it again (an init system, a container), or null. */
  supervisor: string | null;
  /** Set when this command started the agent: what it took over from an agent that died (null: nothing). */
  started: { recovered: RecoveryReport | null } | null;
}

/** Tries at saying hello on a connection the agent closed at once (see connectWithHello). */
const HELLO_ATTEMPTS = 3;

/** A connection to a live agent of our protocol version, or null when none runs and spawn is off. */
export async function connectAgent(home: AgentHome, options: ConnectOptions): Promise<AgentConnection | null> {
  const connected = await connectWithHello(home, options);
  return connected?.connection ?? null;
}

/** Like connectAgent, with the agent's answer to `hello` (its pid and version). */
export async function connectWithHello(home: AgentHome, options: ConnectOptions): Promise<FoundAgent | null> {
  guardHome(home);
  let reached: Awaited<ReturnType<typeof reach>>;
  let hello: Hello;
  // the agent this command started, if it did (on the first try): its recovery is told once
  let started: FoundAgent['started'] = null;
  for (let attempt = 1; ; attempt++) {
    reached = await reach(home, options);
    if (!reached) return null;
    started ??= reached.started;
    const { connection } = reached;
    try {
      hello = await sayHello(connection, home);
      break;
    } catch (error) {
      connection.close();
      // a connection the agent closed before it was used (a flood of connections made room by
      // closing the idle ones, this one among them): nothing was asked yet, so it is made again
      const dropped = error instanceof CliError && error.code === 'AGENT_UNREACHABLE' && !/did not answer/.test(error.message);
      if (!dropped || attempt === HELLO_ATTEMPTS) throw error;
    }
  }
  const { connection } = reached;
  connection.agentPid = hello.pid;
  if (started?.recovered) process.stderr.write(formatRecovery(started.recovered, hello.pid, home.logFile));
  if (hello.protocol !== PROTOCOL_VERSION && !options.anyVersion) {
    connection.close();
    throw new CliError(`the running agent (pmx ${hello.version}, pid ${hello.pid}) speaks protocol ${hello.protocol}; this pmx speaks ${PROTOCOL_VERSION}`, { code: 'PROTOCOL_MISMATCH', hint: "run 'pmx update': it saves your processes, restarts the agent with this version and restores them" }
    );
  }
  return { connection, pid: hello.pid, version: hello.version, foreground: hello.foreground === true, supervisor: hello.supervisor ?? null, started };
}

type Hello = Methods['hello']['result'];

/**
 * Says hello and waits for the answer. An agent that has not answered within HELLO_TIMEOUT_MS but
 * whose CPU time grew meanwhile is busy, not hung (starting many apps on a loaded machine): it is
 * waited for, up to BUSY_WAIT_MS, the user told once. One that did not run at all in that time
 * (stopped, or blocked in the kernel) or that is not the home's lock holder is reported.
 */
async function sayHello(connection: AgentConnection, home: AgentHome): Promise<Hello> {
  const answer = connection.call('hello', { protocol: PROTOCOL_VERSION });
  // settled here too, so that a connection closed after giving up rejects no one unheard
  answer.catch(() => undefined);
  // every command passes here: only the pid file and that process's CPU time are read now; whether
  // it holds the home's lock (a walk of its descriptors) is asked once it is late
  const pid = readAgentPid(home);
  let ticks = pid === null ? null : cpuTicks(pid);
  const started = Date.now();
  for (let told = false; ; told = true) {
    const outcome = await Promise.race([answer.then((value) => ({ value })), delay(HELLO_TIMEOUT_MS)]);
    if (outcome) return outcome.value;
    const now = pid !== null && lockHolder(home)?.pid === pid ? cpuTicks(pid) : null;
    const busy = ticks !== null && now !== null && now > ticks;
    ticks = now;
    if (!busy || Date.now() - started >= BUSY_WAIT_MS) {
      connection.close();
      const waited = Math.round((Date.now() - started) / 1000);
      throw new CliError(`the agent${pid === null ? '' : ` (pid ${pid})`} did not answer 'hello' within ${waited} s${busy ? ', busy all along' : ''} (${home.socket})`, { code: 'AGENT_UNREACHABLE', hint: `check 'pmx ping' again; 'pmx kill' stops the agent and its processes; see ${home.logFile}` });
    }
    if (!told) process.stderr.write(`pmx: the agent (pid ${pid}) is busy and has not answered yet: waiting for it (up to ${BUSY_WAIT_MS / 1000} s)\n`);
  }
}

/** Resolves with null after `ms`, keeping no process alive. */
function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

/** CPU time `pid` has used so far (user and system, in clock ticks), or null once it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the fields after the command's ')': state is the 1st, utime the 12th, stime the 13th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Connects to the agent's socket. While the socket does not answer and an agent holds the home's
 * lock, waits for it; only when no agent holds the lock is one started (and when another CLI's
 * agent won the lock meanwhile, that one is waited for). Never two agents, never a rival.
 */
async function reach(home: AgentHome, options: ConnectOptions): Promise<{ connection: AgentConnection; started: FoundAgent['started'] } | null> {
  let started: FoundAgent['started'] = null;
  let starts = 0;
  let waitingSince: number | null = null;
  for (;;) {
    const connection = await tryOpen(home);
    if (connection) return { connection, started };
    if (lockHeld(home.lockFile)) {
      waitingSince ??= Date.now();
      if (Date.now() - waitingSince > (options.waitMs ?? START_TIMEOUT_MS)) throw unanswered(home, lockHolder(home)?.pid ?? null);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    waitingSince = null;
    if (!options.spawn) return null;
    if (starts++ === MAX_STARTS) throw new CliError(`the agent did not stay up: started ${MAX_STARTS} times in ${home.root}`, { code: 'AGENT_START_FAILED', hint: lastLines(home.logFile) });
    const outcome = await startAgent(home, { toStop: options.toStop === true });
    if (outcome !== 'already-running') started = outcome;
  }
}

/** The error for an agent that holds the home but whose socket does not answer. */
export function unanswered(home: AgentHome, pid: number | null): CliError {
  return new CliError(`an agent runs in ${home.root}${pid ? ` (pid ${pid})` : ''} but its socket ${home.socket} does not answer`, { code: 'AGENT_UNREACHABLE', hint: `'pmx kill' stops it and its processes; see ${home.logFile}`, data: { pid } }
  );
}

async function tryOpen(home: AgentHome): Promise<AgentConnection | null> {
  try {
    return await AgentConnection.open(home.socket, HELLO_TIMEOUT_MS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return null;
    if (code === 'ETIMEDOUT') throw unanswered(home, lockHolder(home)?.pid ?? null);
    throw new CliError(`cannot connect to ${home.socket}: ${(error as Error).message}`, { code: 'AGENT_UNREACHABLE' });
  }
}

/** Path of the agent's entry module, beside this file in dist/. */
export function agentEntry(): string {
  return fileURLToPath(new URL('../../agent.cjs', import.meta.url));
}

/**
 * Starts the agent detached and waits until it says ready, with what it took over from an agent
 * that died; 'already-running' when another agent holds the home (started by another command at
 * the same moment): the caller waits for that one.
 */
export async function startAgent(home: AgentHome, options: { toStop?: boolean } = {}): Promise<{ recovered: RecoveryReport | null } | 'already-running'> {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  chmodSync(home.root, 0o700);
  // loaded here, not at the top: most commands find the agent running and never need it
  const { spawn } = await import('node:child_process');
  const logFd = openSync(home.logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, agentEntry(), AGENT_MARKER, '--ready-fd', '3', ...(options.toStop ? [TO_STOP_FLAG] : [])], {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'pipe'],
    // an agent started from an app's shell is not part of that app's launch (agent/os/marked.ts)
    env: { ...process.env, PMX_HOME: home.root, PMX_LAUNCH: undefined },
  });
  closeSync(logFd);
  const readyPipe = child.stdio[3] as NodeJS.ReadableStream;
  const outcome = await new Promise<{ recovered: RecoveryReport | null } | 'already-running' | string>((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    let text = '';
    readyPipe.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const ready = text.includes('\n') ? parseReadyLine(text) : null;
      if (ready) {
        clearTimeout(timer);
        resolve(ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // exit code 3: another agent holds the home (started at the same moment): use that one
      resolve(code === 3 ? 'already-running' : `it exited with code ${code}`);
    });
  });
  child.unref();
  (readyPipe as unknown as { destroy(): void }).destroy();
  if (typeof outcome !== 'string' || outcome === 'already-running') return outcome;
  throw new CliError(`the agent did not start: ${outcome}`, { code: 'AGENT_START_FAILED', hint: lastLines(home.logFile) });
}

function lastLines(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return `last lines of ${file}:\n  ${lines.slice(-5).join('\n  ')}`;
  } catch {
    return `see ${file}`;
  }
}

/** Resolves once process `pid` has exited (the agent we asked to stop), bounded by the start timeout. */
export async function waitForExit(pid: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (!running(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new CliError(`the agent (pid ${pid}) did not exit within ${timeoutMs / 1000} s`, { code: 'AGENT_UNREACHABLE' });
}

/** True while `pid` runs (a zombie has exited: it only waits for its parent). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat[stat.lastIndexOf(')') + 2] !== 'Z') return true;
    // a killed agent's main thread is a zombie before its other threads have ended, and those still
    // hold its socket and its lock: it has exited once the main thread is all that is left
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}
