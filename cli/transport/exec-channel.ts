// One remote command on an open ssh2 channel: stdin fed then closed, output streamed to callbacks
// and kept (the last 1 MB of each stream), a time limit, an abort that ends the command's whole
// process group on the host, and the exit status or signal.
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult } from './types.js';

/** Output kept per stream and command: the end of a long output is what explains a failure. */
export const KEEP_CHARS = 1024 * 1024;

/** Why a command ended without an exit status; the caller turns it into a TransportError. */
export type ChannelFailure = 'timeout' | 'lost' | 'interrupted';

/** What a killable command prints first on stderr: its shell's pid, which sshd made a session (and process group) leader. */
const PID_LINE = /^\u0001pmx-pid=(\d+)\n/;

/** The command, printing its process group first so that an abort can end it and everything it started. */
export function killableCommand(command: string): string {
  return `printf '\\001pmx-pid=%s\\n' "$$" >&2; ${command}`;
}

/** Ends a process group on the host: TERM, then KILL if it still runs 3 s later; returns once no process of it runs (zombies aside). */
export function killGroupCommand(pid: number): string {
  const group = `-- -${Math.trunc(pid)}`;
  // ps tells the living from zombies that init has yet to reap; without ps, kill -0 counts both
  const alive = `{ if command -v ps >/dev/null 2>&1; then ps -o stat= -g ${Math.trunc(pid)} 2>/dev/null | grep -qv '^Z'; else kill -s 0 ${group} 2>/dev/null; fi; }`;
  return `kill -s TERM ${group} 2>/dev/null; i=0; while ${alive}; do i=$((i+1)); if test $i -ge 30; then kill -s KILL ${group} 2>/dev/null; break; fi; sleep 0.1; done; true`;
}

/** Hooks of a killable command: how to end its process group on the host. */
export interface Killer {
  kill(pid: number): Promise<void>;
}

/** Runs the command already started on `channel` to its end; rejects with `failure(...)` or a local stdin error. */
export function runOnChannel(channel: ClientChannel, options: ExecOptions, failure: (kind: ChannelFailure) => Error, killer?: Killer): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdout = tail(options.onStdout);
    const stderr = tail(options.onStderr);
    const group = options.signal && killer ? pidReader(stderr.push) : null;
    let exit: { code: number | null; signal: string | null } | null = null;
    let settled = false;
    let killing: Promise<void> | null = null;
    const kill = (): void => {
      if (killing || !killer || group?.pid === null || group === null) return;
      killing = killer.kill(group.pid);
    };
    const onAbort = (): void => kill();
    const finish = (outcome: ExecResult | Error): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const stop = (error: Error): void => {
      signal(channel, 'KILL');
      channel.close();
      finish(error);
    };
    const timer = options.timeoutMs ? setTimeout(() => stop(failure('timeout')), options.timeoutMs) : null;
    if (group) {
      // the pid may come after the abort: the group is ended as soon as it is known
      group.onPid = () => options.signal?.aborted && kill();
      options.signal!.addEventListener('abort', onAbort, { once: true });
    }
    channel.on('data', (chunk: Buffer) => stdout.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => (group ? group.push(chunk) : stderr.push(chunk)));
    channel.on('exit', (code: number | null, signalName?: string) => (exit = { code, signal: signalName ?? null }));
    channel.on('error', () => undefined); // a write after the command stopped reading; 'close' follows
    channel.on('close', () => {
      const ended = exit;
      // an aborted command that did not finish on its own is reported as interrupted once its group is gone
      if (killing && !(ended && ended.code === 0)) return void killing.then(() => finish(failure('interrupted')));
      // no exit status: the connection went away under the command
      if (!ended) return finish(failure('lost'));
      const code = ended.code ?? 128 + (constants.signals[ended.signal as keyof typeof constants.signals] ?? 0); // as a shell reports it
      finish({ code, signal: ended.signal, stdout: stdout.text(), stderr: stderr.text() });
    });
    const input = options.stdin;
    if (input === undefined) channel.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
    else {
      input.once('error', (error) => stop(error));
      input.pipe(channel);
    }
    if (options.signal?.aborted) kill();
  });
}

// Takes the pid line off the front of stderr and passes the rest on.
function pidReader(push: (chunk: Buffer) => void): { pid: number | null; onPid: () => void; push: (chunk: Buffer) => void } {
  let head: Buffer | null = Buffer.alloc(0);
  const reader = {
    pid: null as number | null,
    onPid: () => undefined as unknown,
    push(chunk: Buffer) {
      if (head === null) return push(chunk);
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0 && head.length < 64) return;
      const match = PID_LINE.exec(head.subarray(0, newline + 1).toString('latin1'));
      const rest = match ? head.subarray(newline + 1) : head;
      head = null;
      if (match) {
        reader.pid = Number(match[1]);
        reader.onPid();
      }
      if (rest.length > 0) push(rest);
    },
  };
  return reader;
}

// ssh2's channel.signal() is a no-op once stdin is closed (it checks `writable`), yet sshd still
// delivers a signal then; this sends the same request through the channel's protocol.
function signal(channel: ClientChannel, name: string): void {
  const inner = channel as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  try {
    if (inner.outgoing?.state === 'open' || inner.outgoing?.state === 'eof') inner._client?._protocol?.signal(inner.outgoing.id, name);
  } catch {
    // the connection is already going away
  }
}

function tail(onChunk: ((chunk: string) => void) | undefined): { push: (chunk: Buffer) => void; text: () => string } {
  const decoder = new StringDecoder('utf8');
  let kept = '';
  return {
    push(chunk) {
      const text = decoder.write(chunk);
      if (text === '') return;
      kept = kept.length + text.length > KEEP_CHARS ? (kept + text).slice(-KEEP_CHARS) : kept + text;
      onChunk?.(text);
    },
    text: () => kept + decoder.end(),
  };
}
