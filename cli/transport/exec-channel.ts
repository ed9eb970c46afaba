// One remote command on an open ssh2 channel: stdin fed then closed, output streamed to callbacks
// and kept (the last 1 MB of each stream), a time limit, and the exit status or signal.
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { ExecOptions, ExecResult } from './types.js';

/** Output kept per stream and command: the end of a long output is what explains a failure. */
export const KEEP_CHARS = 1024 * 1024;

/** Why a command ended without an exit status; the caller turns it into a TransportError. */
export type ChannelFailure = 'timeout' | 'lost';

/** Runs the command already started on `channel` to its end; rejects with `failure(...)` or a local stdin error. */
export function runOnChannel(channel: ClientChannel, options: ExecOptions, failure: (kind: ChannelFailure) => Error): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdout = tail(options.onStdout);
    const stderr = tail(options.onStderr);
    let exit: { code: number | null; signal: string | null } | null = null;
    let settled = false;
    const finish = (outcome: ExecResult | Error): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const stop = (error: Error): void => {
      signal(channel, 'KILL');
      channel.close();
      finish(error);
    };
    const timer = options.timeoutMs ? setTimeout(() => stop(failure('timeout')), options.timeoutMs) : null;
    channel.on('data', (chunk: Buffer) => stdout.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    channel.on('exit', (code: number | null, signalName?: string) => (exit = { code, signal: signalName ?? null }));
    channel.on('error', () => undefined); // a write after the command stopped reading; 'close' follows
    channel.on('close', () => {
      // no exit status: the connection went away under the command
      if (!exit) return finish(failure('lost'));
      const code = exit.code ?? 128 + (constants.signals[exit.signal as keyof typeof constants.signals] ?? 0); // as a shell reports it
      finish({ code, signal: exit.signal, stdout: stdout.text(), stderr: stderr.text() });
    });
    const input = options.stdin;
    if (input === undefined) channel.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
    else {
      input.once('error', (error) => stop(error));
      input.pipe(channel);
    }
  });
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
