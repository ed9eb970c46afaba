// Reaching the local agent: connect to its socket, start it detached when nothing answers,
// and refuse an agent that speaks another protocol version.
import { mkdirSync, openSync, closeSync, readFileSync, chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentHome } from '../../agent/protocol/home.js';
import { guardHome } from '../../agent/protocol/home-guard.js';
import { PROTOCOL_VERSION } from '../../agent/protocol/types.js';
import { AGENT_MARKER, AGENT_NODE_FLAGS } from '../../agent/protocol/launch.js';
import { AgentConnection } from './connection.js';
import { CliError } from './errors.js';

/** How long a started agent may take to say it is ready, and an answer to `hello`. */
const START_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 5_000;

export interface ConnectOptions {
  /** Start the agent when no agent answers (false for `ping`-like probes and `kill`). */
  spawn: boolean;
  /** Accept an agent of another protocol version (`pmx update` must talk to it). */
  anyVersion?: boolean;
}

/** A connection to a live agent of our protocol version, or null when none runs and spawn is off. */
export async function connectAgent(home: AgentHome, options: ConnectOptions): Promise<AgentConnection | null> {
  const connected = await connectWithHello(home, options);
  return connected?.connection ?? null;
}

/** Like connectAgent, with the agent's answer to `hello` (its pid and version). */
export async function connectWithHello(home: AgentHome, options: ConnectOptions): Promise<{ connection: AgentConnection; pid: number; version: string } | null> {
  guardHome(home);
  let connection = await tryOpen(home);
  if (!connection) {
    if (!options.spawn) return null;
    await startAgent(home);
    connection = await tryOpen(home);
    // another CLI may have started the agent at the same moment: wait for its socket
    for (const deadline = Date.now() + START_TIMEOUT_MS; !connection && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      connection = await tryOpen(home);
    }
    if (!connection) throw new CliError('AGENT_START_FAILED', `the agent started but its socket ${home.socket} does not answer`, `see ${home.logFile}`);
  }
  const hello = await connection.call('hello', { protocol: PROTOCOL_VERSION }, HELLO_TIMEOUT_MS).catch((error: unknown) => {
    connection!.close();
    throw error;
  });
  if (hello.protocol !== PROTOCOL_VERSION && !options.anyVersion) {
    connection.close();
    throw new CliError(
      'PROTOCOL_MISMATCH',
      `the running agent (pmx ${hello.version}, pid ${hello.pid}) speaks protocol ${hello.protocol}; this pmx speaks ${PROTOCOL_VERSION}`,
      "run 'pmx update': it saves your processes, restarts the agent with this version and restores them",
    );
  }
  return { connection, pid: hello.pid, version: hello.version };
}

async function tryOpen(home: AgentHome): Promise<AgentConnection | null> {
  try {
    return await AgentConnection.open(home.socket, HELLO_TIMEOUT_MS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return null;
    if (code === 'ETIMEDOUT') {
      throw new CliError('AGENT_UNREACHABLE', `the agent socket ${home.socket} does not answer`, `end the agent (pid in ${home.pidFile}) and run the command again`);
    }
    throw new CliError('AGENT_UNREACHABLE', `cannot connect to ${home.socket}: ${(error as Error).message}`);
  }
}

/** Path of the agent's entry module, beside this file in dist/. */
export function agentEntry(): string {
  return fileURLToPath(new URL('../../agent/main.js', import.meta.url));
}

/** Starts the agent detached and waits until it says ready (or fails). */
export async function startAgent(home: AgentHome): Promise<void> {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  chmodSync(home.root, 0o700);
  // loaded here, not at the top: most commands find the agent running and never need it
  const { spawn } = await import('node:child_process');
  const logFd = openSync(home.logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, agentEntry(), AGENT_MARKER, '--ready-fd', '3'], {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'pipe'],
    env: { ...process.env, PMX_HOME: home.root },
  });
  closeSync(logFd);
  const readyPipe = child.stdio[3] as NodeJS.ReadableStream;
  const outcome = await new Promise<'ready' | 'already-running' | string>((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    let text = '';
    readyPipe.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('ready')) {
        clearTimeout(timer);
        resolve('ready');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // exit code 3: another CLI started an agent at the same moment; use that one
      resolve(code === 3 ? 'already-running' : `it exited with code ${code}`);
    });
  });
  child.unref();
  (readyPipe as unknown as { destroy(): void }).destroy();
  if (outcome === 'ready' || outcome === 'already-running') return;
  throw new CliError('AGENT_START_FAILED', `the agent did not start: ${outcome}`, lastLines(home.logFile));
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
export async function waitForExit(pid: number): Promise<void> {
  for (const deadline = Date.now() + START_TIMEOUT_MS; Date.now() < deadline; ) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new CliError('AGENT_UNREACHABLE', `the agent (pid ${pid}) did not exit within ${START_TIMEOUT_MS / 1000} s`);
}
